using Broker.Actors.Group;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using static Broker.Host.Tests.Cluster.ReplicationClient;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// Coordinators and idempotent producer state move with leadership: on a 3-node cluster with __consumer_offsets
/// of replication factor 3, the group coordinator is the leader of the group's partition (FindCoordinator), its
/// writes are replicated before they are answered, and when that node crashes the new leader loads the partition
/// and serves the committed offsets. An idempotent producer's retry at the new leader of its partition is
/// deduplicated, and a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER.
/// </summary>
public sealed class CoordinatorFailoverTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    /// <summary>A crashed node's closed listener fences it at once (as the broker's default does), rather than after
    /// the harness's session: how it is fenced is BrokerLifecycleTests' and BrokerLivenessTests' subject.</summary>
    private static readonly Dictionary<string, string?> FastFencing = new() { ["controller.broker.liveness.probe.interval.ms"] = "200" };

    private static readonly Dictionary<string, string?> Rf3 = new(FastFencing)
    {
        ["offsets.topic.replication.factor"] = "3",
        ["offsets.topic.num.partitions"] = "3",
    };

    private static async Task<FindCoordinatorResponse.Coordinator> FindAsync(WireClient client, string group)
    {
        FindCoordinatorResponse.Coordinator? found = null;
        await Eventually.TrueAsync(() =>
        {
            var response = client.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = [group] }, 4).GetAwaiter().GetResult();
            found = Assert.Single(response.Coordinators);
            return found.ErrorCode == 0;
        }, $"a coordinator for {group}", Long);
        return found!;
    }

    private static OffsetCommitRequest Commit(string group, string topic, long offset) => new()
    {
        GroupId = group,
        MemberId = string.Empty,
        GenerationIdOrMemberEpoch = -1,
        Topics = [new OffsetCommitRequest.OffsetCommitRequestTopic
        {
            Name = topic,
            Partitions = [new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = 0, CommittedOffset = offset }],
        }],
    };

    /// <summary>Commits, retrying what Kafka's clients retry (load in progress, not coordinator yet).</summary>
    private static async Task<short> CommitAsync(WireClient client, string group, string topic, long offset)
    {
        short error = -1;
        await Eventually.TrueAsync(() =>
        {
            var response = client.SendAsync<OffsetCommitResponse>(Commit(group, topic, offset), 8).GetAwaiter().GetResult();
            error = response.Topics[0].Partitions[0].ErrorCode;
            return error is not (short)ErrorCode.CoordinatorLoadInProgress and not (short)ErrorCode.NotCoordinator and not (short)ErrorCode.CoordinatorNotAvailable;
        }, "a commit answered", Long);
        return error;
    }

    private static async Task<long> FetchCommittedAsync(WireClient client, string group, string topic)
    {
        long offset = -2;
        await Eventually.TrueAsync(() =>
        {
            var response = client.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest
            {
                Groups = [new OffsetFetchRequest.OffsetFetchRequestGroup
                {
                    GroupId = group,
                    Topics = [new OffsetFetchRequest.OffsetFetchRequestTopics { Name = topic, PartitionIndexes = [0] }],
                }],
            }, 8).GetAwaiter().GetResult();
            var g = Assert.Single(response.Groups);
            if (g.ErrorCode != 0)
            {
                return false;
            }
            offset = g.Topics[0].Partitions[0].CommittedOffset;
            return true;
        }, "offsets fetched", Long);
        return offset;
    }

    [Fact]
    public async Task The_coordinator_follows_the_leader_of_its_offsets_partition_across_a_crash()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Rf3);
        using (var admin = await cluster.ConnectAsync(1))
        {
            await CreateTopicAsync(admin, "orders", [1, 2, 3]);
            // The first lookup creates __consumer_offsets with offsets.topic.replication.factor replicas.
            await FindAsync(admin, "probe");
        }
        await cluster.WaitForTopicAsync(OffsetsTopicRecords.TopicName);
        var offsets = cluster.Image.Topic(OffsetsTopicRecords.TopicName)!;
        Assert.Equal(3, offsets.Partitions.Length);
        Assert.All(offsets.Partitions, p => Assert.Equal(3, p.Replicas.Length));
        // A group coordinated away from node 1 (it hosts the active controller, which this test keeps).
        var group = Enumerable.Range(0, 1000).Select(i => $"group-{i}")
            .First(g => offsets.Partitions[GroupCoordinator.PartitionFor(g, 3)].Leader != 1);
        var partition = GroupCoordinator.PartitionFor(group, 3);
        var leader = offsets.Partitions[partition].Leader;

        using var client = await cluster.ConnectAsync(1);
        var found = await FindAsync(client, group);
        Assert.Equal(leader, found.NodeId);
        Assert.Equal(cluster.Node(leader).Port, found.Port);
        using (var coordinator = await cluster.ConnectAsync(leader))
        {
            Assert.Equal(0, await CommitAsync(coordinator, group, "orders", 42));
            // acks=all: once answered, every ISR replica has the commit (the high watermark covers it).
            var leaderLog = cluster.Node(leader).Replicas.Get(OffsetsTopicRecords.TopicName, partition)!.Log!;
            Assert.Equal(leaderLog.LogEndOffset, leaderLog.HighWatermark);
            foreach (var id in new[] { 1, 2, 3 }.Where(id => id != leader))
            {
                Assert.True(cluster.Node(id).Replicas.Get(OffsetsTopicRecords.TopicName, partition)!.Log!.LogEndOffset >= leaderLog.HighWatermark);
            }
            // Another node is no coordinator of this group.
            using var other = await cluster.ConnectAsync(1);
            var refused = await other.SendAsync<OffsetCommitResponse>(Commit(group, "orders", 43), 8);
            Assert.Equal((short)ErrorCode.NotCoordinator, refused.Topics[0].Partitions[0].ErrorCode);
        }

        await cluster.CrashNodeAsync(leader);
        await cluster.WaitForImageAsync(image => image.Topic(OffsetsTopicRecords.TopicName)!.Partitions[partition].Leader is var l && l > 0 && l != leader,
            "the offsets partition has a new leader", Long);
        var moved = await FindAsync(client, group);
        Assert.NotEqual(leader, moved.NodeId);
        Assert.Equal(cluster.Image.Topic(OffsetsTopicRecords.TopicName)!.Partitions[partition].Leader, moved.NodeId);
        using var newCoordinator = await cluster.ConnectAsync(moved.NodeId);
        Assert.Equal(42, await FetchCommittedAsync(newCoordinator, group, "orders"));
        Assert.Equal(0, await CommitAsync(newCoordinator, group, "orders", 43));
        Assert.Equal(43, await FetchCommittedAsync(newCoordinator, group, "orders"));
    }

    [Fact]
    public async Task An_idempotent_retry_at_the_new_leader_after_a_crash_is_deduplicated()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, FastFencing);
        using var admin = await cluster.ConnectAsync(1);
        await CreateTopicAsync(admin, "idem", [2, 3, 1]);
        await cluster.WaitForTopicAsync("idem");
        var pid = await admin.SendAsync<InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, 4);
        Assert.Equal(0, pid.ErrorCode);
        var first = Batch(5, "a", pid.ProducerId, pid.ProducerEpoch, 0);
        var second = Batch(3, "b", pid.ProducerId, pid.ProducerEpoch, 5);
        using (var oldLeader = await cluster.ConnectAsync(2))
        {
            Assert.Equal(0, (await ProduceAsync(oldLeader, "idem", (byte[])first.Clone(), acks: -1)).ErrorCode);
            var written = await ProduceAsync(oldLeader, "idem", (byte[])second.Clone(), acks: -1);
            Assert.Equal(0, written.ErrorCode);
            Assert.Equal(5, written.BaseOffset);
        }

        // The leader crashes after acknowledging; the producer did not see the answer and retries at the new leader.
        await cluster.CrashNodeAsync(2);
        await cluster.WaitForImageAsync(image => image.Topic("idem")!.Partitions[0].Leader is 1 or 3, "idem has a new leader", Long);
        var newLeaderId = cluster.Image.Topic("idem")!.Partitions[0].Leader;
        await Eventually.TrueAsync(() => cluster.Node(newLeaderId).Replicas.Get("idem", 0)!.State.IsLeader, "the new leader leads", Long);
        using var newLeader = await cluster.ConnectAsync(newLeaderId);
        var retried = await ProduceAsync(newLeader, "idem", (byte[])second.Clone(), acks: -1);
        Assert.Equal(0, retried.ErrorCode);
        Assert.Equal(5, retried.BaseOffset);
        var older = await ProduceAsync(newLeader, "idem", (byte[])first.Clone(), acks: -1);
        Assert.Equal(0, older.ErrorCode);
        Assert.Equal(0, older.BaseOffset);
        Assert.Equal(8, cluster.Node(newLeaderId).Replicas.Get("idem", 0)!.Log!.LogEndOffset);

        // A gap in the sequence is out of order; the next one in order continues the log.
        var gap = await ProduceAsync(newLeader, "idem", Batch(1, "gap", pid.ProducerId, pid.ProducerEpoch, 20), acks: -1);
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, gap.ErrorCode);
        var next = await ProduceAsync(newLeader, "idem", Batch(2, "c", pid.ProducerId, pid.ProducerEpoch, 8), acks: -1);
        Assert.Equal(0, next.ErrorCode);
        Assert.Equal(8, next.BaseOffset);
    }
}
