using Broker.Actors.Storage;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>ListOffsets: earliest (-2), latest (-1), max timestamp (-3), or the first offset at a timestamp.</summary>
internal sealed class ListOffsetsHandler(BrokerNode node)
{
    public void Handle(RequestContext request)
    {
        var list = request.Decode<ListOffsetsRequest>();
        var version = request.ApiVersion;
        var response = new ListOffsetsResponse();
        foreach (var topic in list.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            foreach (var partition in topic.Partitions)
            {
                var result = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = partition.PartitionIndex };
                topicResponse.Partitions.Add(result);
                var log = node.Replicas.Get(topic.Name, partition.PartitionIndex)?.Log;
                if (log is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                var snapshot = log.Current;
                TimestampAndOffset found;
                switch (partition.Timestamp)
                {
                    case ListOffsetsTimestamp.Latest:
                        // Consumers see up to the high watermark (read_committed: the LSO, equal without transactions).
                        found = new TimestampAndOffset(-1, list.ReplicaId >= 0 ? snapshot.LogEndOffset : snapshot.HighWatermark);
                        break;
                    case ListOffsetsTimestamp.Earliest:
                        found = new TimestampAndOffset(-1, snapshot.LogStartOffset);
                        break;
                    default:
                        found = log.FetchOffsetByTimestamp(partition.Timestamp);
                        if (found.Offset >= snapshot.HighWatermark && list.ReplicaId < 0)
                        {
                            found = new TimestampAndOffset(-1, -1);
                        }
                        break;
                }
                if (version == 0)
                {
                    result.OldStyleOffsets.Add(found.Offset >= 0 ? found.Offset : snapshot.HighWatermark);
                    continue;
                }
                result.Timestamp = found.Timestamp;
                result.Offset = found.Offset;
                result.LeaderEpoch = found.Offset >= 0 ? 0 : -1;
            }
        }
        request.Respond(response);
    }
}
