namespace Broker.Host.Cluster;

/// <summary>
/// Whether the request being handled came from another node's <see cref="ControllerChannel"/>. Such a
/// request is answered here or refused with NOT_CONTROLLER, never forwarded again (two nodes with
/// different views of the leader would bounce it between them). Set by the dispatcher per request; an
/// async-local, so it flows into the handler's awaits.
/// </summary>
public static class ForwardedRequest
{
    private static readonly AsyncLocal<bool> Current = new();

    public static bool IsCurrent => Current.Value;

    internal static void Mark(string? clientId) => Current.Value = clientId == ControllerChannel.ClientId;
}
