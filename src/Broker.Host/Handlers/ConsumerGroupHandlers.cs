using Broker.Actors.Group;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// The new consumer group protocol (KIP-848): ConsumerGroupHeartbeat and ConsumerGroupDescribe go to the shard of
/// the group's __consumer_offsets partition (<see cref="GroupCoordinatorShard"/>), like the classic APIs.
/// </summary>
internal sealed partial class GroupHandlers
{
    public async ValueTask ConsumerGroupHeartbeatAsync(RequestContext request)
    {
        var heartbeat = request.Decode<ConsumerGroupHeartbeatRequest>();
        var coordinator = await CoordinatorAsync().ConfigureAwait(false);
        if (coordinator is null)
        {
            // __consumer_offsets is not up (yet): the client retries.
            request.Respond(new ConsumerGroupHeartbeatResponse { ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress });
            return;
        }
        var host = request.RemoteEndPoint is System.Net.IPEndPoint ip ? "/" + ip.Address : "/" + request.RemoteEndPoint;
        coordinator.Send(new ConsumerGroupHeartbeat(heartbeat, request.ClientId ?? string.Empty, host, response => request.Respond(response)));
    }

    public async ValueTask ConsumerGroupDescribeAsync(RequestContext request)
    {
        var describe = request.Decode<ConsumerGroupDescribeRequest>();
        var coordinator = await CoordinatorAsync().ConfigureAwait(false);
        FanOut<ConsumerGroupDescribeResponse.DescribedGroup>(describe.GroupIds.Count, (i, done) =>
        {
            var message = new DescribeConsumerGroup(describe.GroupIds[i], done);
            if (coordinator is null)
            {
                message.Fail(ErrorCode.CoordinatorLoadInProgress);
            }
            else
            {
                coordinator.Send(message);
            }
        }, results =>
        {
            var response = new ConsumerGroupDescribeResponse();
            response.Groups.AddRange(results);
            request.Respond(response);
        });
    }
}
