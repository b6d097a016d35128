using Broker.Actors.Metadata;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// Operator membership changes over the wire: ControlledShutdown (7) asks the named broker to leave (the controller
/// moves its leaderships away and tells it to shut down gracefully; RemainingPartitions are those it still leads),
/// UnregisterBroker (64) downs it (fenced at once, leaderships moved within the ISR). Decided by the active
/// controller (ControllerActor.Membership.cs), forwarded there by <see cref="Cluster.ForwardingController"/>;
/// NOT_CONTROLLER when there is none (the forwarding node asks the quorum again).
/// </summary>
internal sealed class MembershipHandlers(BrokerNode node)
{
    public async ValueTask ControlledShutdownAsync(RequestContext request)
    {
        var leave = request.Decode<ControlledShutdownRequest>();
        var response = new ControlledShutdownResponse();
        try
        {
            var reply = await node.Controller.LeaveBrokerAsync(leave.BrokerId, request.ApiVersion >= 2 ? leave.BrokerEpoch : -1).ConfigureAwait(false);
            response.ErrorCode = (short)reply.Error;
            response.RemainingPartitions = [.. reply.RemainingLeaderships.Select(p => new ControlledShutdownResponse.RemainingPartition { TopicName = p.Topic, PartitionIndex = p.Partition })];
        }
        catch (NotControllerException)
        {
            response.ErrorCode = (short)ErrorCode.NotController;
        }
        request.Respond(response);
    }

    public async ValueTask UnregisterBrokerAsync(RequestContext request)
    {
        var down = request.Decode<UnregisterBrokerRequest>();
        var response = new UnregisterBrokerResponse();
        try
        {
            var reply = await node.Controller.DownBrokerAsync(down.BrokerId).ConfigureAwait(false);
            response.ErrorCode = (short)reply.Error;
            response.ErrorMessage = reply.Message;
        }
        catch (NotControllerException e)
        {
            response.ErrorCode = (short)ErrorCode.NotController;
            response.ErrorMessage = e.Message;
        }
        request.Respond(response);
    }
}
