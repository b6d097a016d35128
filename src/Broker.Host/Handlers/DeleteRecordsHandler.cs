using Broker.Actors.Partition;
using Broker.Host.Network;
using Broker.Protocol.Messages;
using static Broker.Protocol.Messages.DeleteRecordsResponse;

namespace Broker.Host.Handlers;

/// <summary>
/// DeleteRecords (v0-2): moves each partition's log start offset forward through its partition
/// actor (the log's single writer). Offset -1 means the high watermark; an offset above the high
/// watermark is OFFSET_OUT_OF_RANGE. Each partition answers with its new low watermark.
/// </summary>
internal sealed class DeleteRecordsHandler(BrokerNode node)
{
    /// <summary>Kafka's HIGH_WATERMARK sentinel in a DeleteRecords request.</summary>
    private const long HighWatermark = -1;

    public async ValueTask HandleAsync(RequestContext request)
    {
        var delete = request.Decode<DeleteRecordsRequest>();
        var image = node.Metadata.Current;
        var response = new DeleteRecordsResponse();
        var pending = new List<(DeleteRecordsPartitionResult Result, Task<(ErrorCode, long)> Task)>();
        foreach (var topic in delete.Topics)
        {
            var topicResult = new DeleteRecordsTopicResult { Name = topic.Name };
            response.Topics.Add(topicResult);
            var topicImage = image.Topic(topic.Name);
            foreach (var p in topic.Partitions)
            {
                var result = new DeleteRecordsPartitionResult { PartitionIndex = p.PartitionIndex, LowWatermark = -1 };
                topicResult.Partitions.Add(result);
                if (topicImage is null || p.PartitionIndex < 0 || p.PartitionIndex >= topicImage.Partitions.Length)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                if (node.Replicas.Get(topic.Name, p.PartitionIndex) is not { Log: { } log } handle)
                {
                    result.ErrorCode = (short)ErrorCode.NotLeaderOrFollower;
                    continue;
                }
                if (p.Offset < HighWatermark)
                {
                    result.ErrorCode = (short)ErrorCode.OffsetOutOfRange;
                    result.LowWatermark = log.LogStartOffset;
                    continue;
                }
                // -1 resolves to the high watermark now; appends racing this request land above it.
                var offset = p.Offset == HighWatermark ? log.HighWatermark : p.Offset;
                var completion = new TaskCompletionSource<(ErrorCode, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
                handle.Actor.Tell(new DeleteRecordsBefore(offset, completion));
                pending.Add((result, completion.Task));
            }
        }
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(delete.TimeoutMs, 1)));
        foreach (var (result, task) in pending)
        {
            try
            {
                var (code, lowWatermark) = await task.WaitAsync(deadline.Token).ConfigureAwait(false);
                result.ErrorCode = (short)code;
                result.LowWatermark = lowWatermark;
            }
            catch (OperationCanceledException)
            {
                result.ErrorCode = (short)ErrorCode.RequestTimedOut;
            }
        }
        request.Respond(response);
    }
}
