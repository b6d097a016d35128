using Broker.Host.Network.Client;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Benchmarks.Groups;

/// <summary>
/// The versions this driver speaks to a server: the highest both sides have for each group API, so the
/// same driver runs against this broker and against librdkafka's mock cluster (which stops lower).
/// OffsetCommit stays at v8, the last version of the classic protocol's generation id.
/// </summary>
internal sealed record Wire(short Join, short Sync, short Heartbeat, short Leave, short Commit, short CreateTopics)
{
    public static async Task<Wire> NegotiateAsync(NodeConnection connection)
    {
        var versions = await connection.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0).ConfigureAwait(false);
        if (versions.ErrorCode != 0)
        {
            throw new InvalidOperationException($"ApiVersions failed: {(ErrorCode)versions.ErrorCode}");
        }
        short Pick(ApiKey key, short ours)
        {
            var theirs = versions.ApiKeys.Find(a => a.ApiKey == (short)key);
            return theirs is null ? (short)-1 : Math.Min(theirs.MaxVersion, ours);
        }
        return new Wire(Pick(ApiKey.JoinGroup, 9), Pick(ApiKey.SyncGroup, 5), Pick(ApiKey.Heartbeat, 4),
            Pick(ApiKey.LeaveGroup, 5), Pick(ApiKey.OffsetCommit, 8), Pick(ApiKey.CreateTopics, 7));
    }

    public override string ToString() =>
        $"JoinGroup v{Join}, SyncGroup v{Sync}, Heartbeat v{Heartbeat}, LeaveGroup v{Leave}, OffsetCommit v{Commit}";
}

/// <summary>The consumer protocol's embedded bytes (version-prefixed Subscription and Assignment), as clients send them.</summary>
internal static class ConsumerBytes
{
    public static byte[] Subscription(params string[] topics)
    {
        var subscription = new ConsumerProtocolSubscription { Topics = [.. topics] };
        return Prefixed(subscription, 1);
    }

    public static byte[] Assignment(string topic, params int[] partitions)
    {
        var assignment = new ConsumerProtocolAssignment();
        assignment.AssignedPartitions.Add(new ConsumerProtocolAssignment.TopicPartition { Topic = topic, Partitions = [.. partitions] });
        return Prefixed(assignment, 1);
    }

    private static byte[] Prefixed(IKafkaMessage message, short version)
    {
        var bytes = new byte[2 + message.Size(version)];
        var writer = new KafkaWriter(bytes);
        writer.WriteInt16(version);
        message.Write(ref writer, version);
        return bytes;
    }
}
