using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>
/// ConsumerGroupHeartbeat (KIP-848) for the group's shard: join, reconcile, and leave (member epoch -1, or -2 for a
/// static member that will be back). Answered once the records of the change are in the log.
/// </summary>
public sealed record ConsumerGroupHeartbeat(ConsumerGroupHeartbeatRequest Request, string ClientId, string ClientHost,
    Action<ConsumerGroupHeartbeatResponse> Respond) : GroupRequest(Request.GroupId)
{
    public override bool AnswersLoadInProgress => true;

    public override void Fail(ErrorCode error) => Respond(new ConsumerGroupHeartbeatResponse { ErrorCode = (short)error });
}

/// <summary>ConsumerGroupDescribe of one group: epochs, members, their current and target assignments.</summary>
public sealed record DescribeConsumerGroup(string Group, Action<ConsumerGroupDescribeResponse.DescribedGroup> Respond) : GroupRequest(Group)
{
    public override bool AnswersLoadInProgress => true;

    public override void Fail(ErrorCode error) => Respond(new ConsumerGroupDescribeResponse.DescribedGroup { GroupId = GroupId, ErrorCode = (short)error });
}
