using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// OffsetForLeaderEpoch (23): for each partition, the largest epoch at or below the requested one in
/// the leader's epoch cache and where it ends (the next epoch's start, or the log end for the latest).
/// Consumers use it to detect a truncated log after a leader change (KIP-320). Leader only, with the
/// current leader epoch checked like a fetch's.
/// </summary>
internal sealed class OffsetForLeaderEpochHandler(BrokerNode node)
{
    public void Handle(RequestContext request)
    {
        var body = request.Decode<OffsetForLeaderEpochRequest>();
        var response = new OffsetForLeaderEpochResponse();
        foreach (var topic in body.Topics)
        {
            var result = new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult { Topic = topic.Topic };
            response.Topics.Add(result);
            foreach (var partition in topic.Partitions)
            {
                var answer = new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = partition.Partition };
                result.Partitions.Add(answer);
                var handle = node.Replicas.Get(topic.Topic, partition.Partition);
                if (handle?.Log is not { } log)
                {
                    answer.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                var state = handle.State;
                // Followers answer only the debug replica id (-2), as in Kafka.
                var error = state.IsLeader || body.ReplicaId == -2 ? state.CheckEpoch(partition.CurrentLeaderEpoch) : ErrorCode.NotLeaderOrFollower;
                if (error != ErrorCode.None)
                {
                    answer.ErrorCode = (short)error;
                    continue;
                }
                var (epoch, endOffset) = log.LeaderEpochCache.EndOffsetFor(partition.LeaderEpoch, log.LogEndOffset);
                answer.LeaderEpoch = epoch;
                answer.EndOffset = endOffset;
            }
        }
        request.Respond(response);
    }
}
