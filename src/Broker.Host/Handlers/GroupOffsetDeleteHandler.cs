using System.Buffers.Binary;
using Broker.Actors.Group;
using Broker.Host.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Handlers;

/// <summary>
/// OffsetDelete (KIP-496): removes a group's committed offsets for partitions no live member is
/// subscribed to, with tombstones in __consumer_offsets so they stay gone after a restart.
/// </summary>
internal sealed partial class GroupHandlers
{
    private static readonly IReadOnlySet<string> NoTopics = new HashSet<string>();

    public async ValueTask OffsetDeleteAsync(RequestContext request)
    {
        var delete = request.Decode<OffsetDeleteRequest>();
        var response = new OffsetDeleteResponse();
        try
        {
            await OffsetsLog.EnsureReadyAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            response.ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress;
            request.Respond(response);
            return;
        }
        // As Kafka's request handler: partitions the cluster does not have are answered before the group is asked.
        var image = node.Metadata.Current;
        var known = new List<(string Topic, int Partition)>();
        var unknown = new List<(string Topic, int Partition)>();
        foreach (var topic in delete.Topics)
        {
            var t = image.Topic(topic.Name);
            foreach (var p in topic.Partitions)
            {
                (t is not null && p.PartitionIndex >= 0 && p.PartitionIndex < t.Partitions.Length ? known : unknown).Add((topic.Name, p.PartitionIndex));
            }
        }
        var (error, results) = Coordinator.DeleteOffsets(delete.GroupId, known, SubscribedTopics);
        response.ErrorCode = (short)error;
        if (error == ErrorCode.None)
        {
            var deleted = results.Where(r => r.Error == ErrorCode.None).Select(r => (r.Topic, r.Partition, (CommittedOffset?)null)).ToList();
            var stored = deleted.Count > 0 ? await OffsetsLog.AppendAsync(delete.GroupId, deleted).ConfigureAwait(false) : ErrorCode.None;
            foreach (var byTopic in results.Select(r => (r.Topic, r.Partition, Error: r.Error == ErrorCode.None ? stored : r.Error))
                .Concat(unknown.Select(u => (u.Topic, u.Partition, Error: ErrorCode.UnknownTopicOrPartition))).GroupBy(r => r.Topic))
            {
                var topic = new OffsetDeleteResponse.OffsetDeleteResponseTopic { Name = byTopic.Key };
                foreach (var r in byTopic)
                {
                    topic.Partitions.Add(new OffsetDeleteResponse.OffsetDeleteResponsePartition { PartitionIndex = r.Partition, ErrorCode = (short)r.Error });
                }
                response.Topics.Add(topic);
            }
        }
        request.Respond(response);
    }

    /// <summary>The topics of a member's consumer-protocol Subscription (an int16 version, then the body).</summary>
    private static IReadOnlySet<string> SubscribedTopics(ReadOnlyMemory<byte> metadata)
    {
        if (metadata.Length < 2)
        {
            return NoTopics;
        }
        var version = Math.Min(BinaryPrimitives.ReadInt16BigEndian(metadata.Span), ConsumerProtocolSubscription.HighestVersion);
        try
        {
            var reader = new KafkaReader(metadata[2..]);
            var subscription = new ConsumerProtocolSubscription();
            subscription.Read(ref reader, (short)Math.Max((short)0, version));
            return subscription.Topics.ToHashSet(StringComparer.Ordinal);
        }
        catch (ProtocolException)
        {
            return NoTopics;
        }
    }
}
