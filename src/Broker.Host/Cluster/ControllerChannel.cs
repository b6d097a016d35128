using Broker.Actors.Metadata;
using Broker.Host.Network.Client;
using Broker.Protocol.Messages;

namespace Broker.Host.Cluster;

/// <summary>
/// How a broker reaches the active controller (Kafka's NodeToControllerChannelManager): the quorum
/// names the leader; this node's own controller is called in-process, another node's over its controller
/// listener (the <c>controller.quorum.voters</c> address) through <see cref="NodeConnectionPool"/>.
/// Requests sent here carry <see cref="ClientId"/>, so the receiving node never forwards them again.
/// </summary>
public sealed class ControllerChannel : IAsyncDisposable
{
    /// <summary>The client id of broker-to-controller requests (forwarded admin requests included).</summary>
    public const string ClientId = "akkabroker-controller-channel";

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LeaderCheckInterval = TimeSpan.FromMilliseconds(100);
    private readonly IMetadataQuorum _quorum;
    private readonly QuorumController? _local;
    private readonly Func<int, (string Host, int Port)?> _endpoints;
    private readonly NodeConnectionPool _pool = new(ClientId, TimeSpan.FromSeconds(2));

    public ControllerChannel(IMetadataQuorum quorum, QuorumController? local, Func<int, (string Host, int Port)?> endpoints)
    {
        _quorum = quorum;
        _local = local;
        _endpoints = endpoints;
    }

    /// <summary>The active controller's node id (-1: none known).</summary>
    public int ActiveControllerId => _quorum.Leader.LeaderId;

    /// <summary>This node's controller when the quorum names it the leader.</summary>
    public QuorumController? LocalActive => _local is not null && _quorum.Leader.LeaderId == _quorum.NodeId ? _local : null;

    /// <summary>Sends <paramref name="request"/> to the active controller on another node; null when there is
    /// none, it is this node, or it cannot be reached (callers retry until their deadline).</summary>
    public async Task<TResponse?> SendAsync<TResponse>(IKafkaMessage request, short version, CancellationToken cancellationToken = default)
        where TResponse : class, IKafkaMessage, new()
    {
        var leader = _quorum.Leader.LeaderId;
        if (leader < 0 || leader == _quorum.NodeId || _endpoints(leader) is not { } endpoint)
        {
            return null;
        }
        try
        {
            var connection = await _pool.GetAsync(endpoint.Host, endpoint.Port, cancellationToken).ConfigureAwait(false);
            // A paused controller takes the request and answers nothing: once the quorum names another leader the
            // answer no longer matters. Waiting out the request timeout (10 s) let a broker's heartbeats miss the new
            // controller's whole session (9 s) and every broker was fenced at once.
            using var moved = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var send = connection.SendAsync<TResponse>(request, version, RequestTimeout, moved.Token);
            while (!send.IsCompleted && _quorum.Leader.LeaderId == leader && !cancellationToken.IsCancellationRequested)
            {
                await Task.WhenAny(send, Task.Delay(LeaderCheckInterval, cancellationToken)).ConfigureAwait(false);
            }
            if (!send.IsCompleted)
            {
                await moved.CancelAsync().ConfigureAwait(false);
            }
            return await send.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // the leader moved while we waited: callers ask the new one
        }
        catch (NodeConnectionException)
        {
            await _pool.ResetAsync(endpoint.Host, endpoint.Port).ConfigureAwait(false);
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Runs <paramref name="attempt"/> until it gives an answer or <paramref name="timeout"/> passes
    /// (no controller, or a controller that is no longer active: back off and ask the quorum again).</summary>
    public static async Task<T?> RetryAsync<T>(Func<Task<T?>> attempt, TimeSpan timeout, CancellationToken cancellationToken = default)
        where T : class
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var backoff = 20;
        while (true)
        {
            T? result;
            try
            {
                result = await attempt().ConfigureAwait(false);
            }
            catch (NotControllerException)
            {
                result = null;
            }
            if (result is not null)
            {
                return result;
            }
            var left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return null;
            }
            await Task.Delay((int)Math.Min(backoff, left), cancellationToken).ConfigureAwait(false);
            backoff = Math.Min(backoff * 2, 500);
        }
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
