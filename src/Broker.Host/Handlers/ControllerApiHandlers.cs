using System.Collections.Concurrent;
using Broker.Actors.Metadata;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// The controller's broker-facing APIs: BrokerRegistration (62), BrokerHeartbeat (63) and
/// AllocateProducerIds (67). Answered only by the active controller; any other node says NOT_CONTROLLER
/// and the broker asks the quorum again.
/// </summary>
internal sealed class ControllerApiHandlers(BrokerNode node)
{
    /// <summary>Connections that carried a broker's heartbeats or registration (connection id -> broker id).</summary>
    private readonly ConcurrentDictionary<long, int> _brokerConnections = new();

    private QuorumController? Active => node.LocalController is { IsActive: true } c ? c : null;

    /// <summary>Tells the controller when the connection <paramref name="request"/> came over closes: a crashed
    /// broker's connections close at once, and the controller checks whether its process is gone. Called after
    /// the request was handled, so a heartbeat read just before the close cannot clear the suspicion it raises
    /// (a closed connection's callback runs at once).</summary>
    private void WatchConnection(RequestContext request, int brokerId)
    {
        if (node.LocalController is not { } controller || !_brokerConnections.TryAdd(request.ConnectionId, brokerId))
        {
            return;
        }
        var connectionId = request.ConnectionId;
        request.ConnectionClosed.Register(() =>
        {
            _brokerConnections.TryRemove(connectionId, out _);
            controller.BrokerDisconnected(brokerId);
        });
    }

    public async ValueTask BrokerRegistrationAsync(RequestContext request)
    {
        var register = request.Decode<BrokerRegistrationRequest>();
        var response = new BrokerRegistrationResponse();
        var reply = await Call(c => c.RegisterBrokerAsync(register.BrokerId, register.ClusterId, register.IncarnationId,
            [.. register.Listeners.Select(l => new BrokerEndpointImage(l.Name, l.Host, l.Port, l.SecurityProtocol))],
            register.Rack, register.PreviousBrokerEpoch)).ConfigureAwait(false);
        response.ErrorCode = (short)(reply?.Error ?? ErrorCode.NotController);
        response.BrokerEpoch = reply?.BrokerEpoch ?? -1;
        request.Respond(response);
        if (reply is { Error: ErrorCode.None })
        {
            WatchConnection(request, register.BrokerId);
        }
    }

    public async ValueTask BrokerHeartbeatAsync(RequestContext request)
    {
        var heartbeat = request.Decode<BrokerHeartbeatRequest>();
        var response = new BrokerHeartbeatResponse();
        var reply = await Call(c => c.HeartbeatAsync(heartbeat.BrokerId, heartbeat.BrokerEpoch, heartbeat.CurrentMetadataOffset,
            heartbeat.WantFence, heartbeat.WantShutDown)).ConfigureAwait(false);
        response.ErrorCode = (short)(reply?.Error ?? ErrorCode.NotController);
        if (reply is not null)
        {
            response.IsCaughtUp = reply.IsCaughtUp;
            response.IsFenced = reply.IsFenced;
            response.ShouldShutDown = reply.ShouldShutDown;
        }
        request.Respond(response);
        if (reply is { Error: ErrorCode.None })
        {
            WatchConnection(request, heartbeat.BrokerId);
        }
    }

    public async ValueTask AllocateProducerIdsAsync(RequestContext request)
    {
        var allocate = request.Decode<AllocateProducerIdsRequest>();
        var response = new AllocateProducerIdsResponse();
        var block = await Call(c => c.AllocateProducerIdsAsync(allocate.BrokerId, allocate.BrokerEpoch)).ConfigureAwait(false);
        response.ErrorCode = (short)(block is null ? ErrorCode.NotController : ErrorCode.None);
        response.ProducerIdStart = block?.Start ?? -1;
        response.ProducerIdLen = block?.Length ?? 0;
        request.Respond(response);
    }

    private async Task<T?> Call<T>(Func<QuorumController, Task<T>> call)
        where T : class
    {
        if (Active is not { } controller)
        {
            return null;
        }
        try
        {
            return await call(controller).ConfigureAwait(false);
        }
        catch (NotControllerException)
        {
            return null;
        }
    }
}
