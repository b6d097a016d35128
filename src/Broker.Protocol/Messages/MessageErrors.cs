namespace Broker.Protocol.Messages;

/// <summary>Errors raised by generated writers (kept out of line so the generated code stays small).</summary>
internal static class MessageErrors
{
    public static InvalidOperationException NullField(string field, short version) =>
        new($"{field} is null, but version {version} cannot encode null for it");
}
