using Broker.Actors.Metadata;
using Broker.Actors.Storage;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using static Broker.Host.Tests.Cluster.ReplicationClient;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// The active controller's replica APIs on three in-process nodes (node 1 the controller; requests sent to
/// node 3 are forwarded): AlterPartitionReassignments / ListPartitionReassignments move a partition's replicas
/// (added replicas catch up and join the ISR, then the removed ones are stopped and deleted), cancel reverts,
/// and ElectLeaders runs preferred and unclean elections, with Kafka's error codes.
/// </summary>
public sealed class ReassignmentTests
{
    /// <summary>The harness's 3 s session fences a broker whose heartbeats stall under load (2 shared cores), which
    /// would shrink ISRs these tests assert on; 10 s keeps the crash tests quick enough.</summary>
    private static readonly Dictionary<string, string?> Sessions = new() { ["broker.session.timeout.ms"] = "10000" };

    [Fact(Timeout = 180_000)]
    public async Task A_partition_moves_from_brokers_1_2_to_2_3_keeping_every_record_and_the_old_replica_is_deleted()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Sessions);
        using var admin = await cluster.ConnectAsync(3);
        await CreateTopicAsync(admin, "mv", [1, 2]);
        await cluster.WaitForTopicAsync("mv");
        using var oldLeader = await cluster.ConnectAsync(1);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(0, (await ProduceAsync(oldLeader, "mv", Batch(25, "before" + i), acks: -1)).ErrorCode);
        }

        // Node 3 does not copy yet, so the move stays in progress where the APIs can see it.
        cluster.Node(3).ReplicaFetchers!.Paused = true;
        var started = await ReassignAsync(admin, "mv", 0, [2, 3]);
        Assert.Equal(0, started.ErrorCode);
        await cluster.WaitForImageAsync(i => i.Topic("mv")!.Partitions[0].IsReassigning, "the move starts");
        var ongoing = Assert.Single(Assert.Single((await ListAsync(admin, null)).Topics).Partitions);
        Assert.Equal([2, 3, 1], ongoing.Replicas);
        Assert.Equal([3], ongoing.AddingReplicas);
        Assert.Equal([1], ongoing.RemovingReplicas);
        // Metadata shows every replica during the move, as Kafka does; the ISR is still the old one.
        var metadata = await admin.SendAsync<MetadataResponse>(new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "mv" }] }, 12);
        var during = Assert.Single(Assert.Single(metadata.Topics).Partitions);
        Assert.Equal([2, 3, 1], during.ReplicaNodes);
        Assert.DoesNotContain(3, during.IsrNodes); // node 3 has not caught up
        Assert.Equal(1, during.LeaderId);
        // The management endpoint's /cluster/partitions shows the move too.
        var view = Assert.Single(Assert.Single(Broker.Host.Management.ClusterView.Partitions(cluster.Node(3)).Topics, t => t.Name == "mv").Partitions);
        Assert.Equal([3], view.AddingReplicas);
        Assert.Equal([1], view.RemovingReplicas);
        // The leader keeps taking writes while the move is in progress.
        Assert.Equal(0, (await ProduceAsync(oldLeader, "mv", Batch(25, "during"), acks: -1)).ErrorCode);

        cluster.Node(3).ReplicaFetchers!.Paused = false;
        await cluster.WaitForImageAsync(i => i.Topic("mv")!.Partitions[0] is { IsReassigning: false } p && p.Replicas.SequenceEqual([2, 3]),
            "the move completes", TimeSpan.FromSeconds(90));
        var done = Partition(cluster, "mv");
        Assert.Equal(2, done.Leader); // the leader was removed: the first target replica in the ISR leads
        Assert.Equal(1, done.LeaderEpoch);
        Assert.Equal([2, 3], done.Isr.Order());
        Assert.Empty((await ListAsync(admin, null)).Topics);

        // The removed replica is stopped and its log deleted from node 1.
        await Eventually.TrueAsync(() => cluster.Node(1).Replicas.Get("mv", 0) is null
            && cluster.Node(1).Logs.GetLog(new TopicPartition("mv", 0)) is null
            && !Directory.Exists(Path.Combine(cluster.Dir, "node-1", "mv-0")), "node 1 drops its replica and log");
        await Eventually.TrueAsync(() => cluster.Node(2).Replicas.Get("mv", 0)!.State.IsLeader, "node 2 leads");
        using var newLeader = await cluster.ConnectAsync(2);
        Assert.NotEqual(0, (await ProduceAsync(oldLeader, "mv", Batch(1, "late"), acks: 1)).ErrorCode);
        var after = await ProduceAsync(newLeader, "mv", Batch(25, "after"), acks: -1);
        Assert.Equal(0, after.ErrorCode);
        await Eventually.TrueAsync(() => cluster.Node(3).Replicas.Get("mv", 0)!.Log!.LogEndOffset == cluster.Node(2).Replicas.Get("mv", 0)!.Log!.LogEndOffset,
            "node 3 has everything");
        Assert.Equal(LogBytes(cluster.Node(2), "mv"), LogBytes(cluster.Node(3), "mv"));
        var fetched = await FetchAsync(newLeader, "mv", 0);
        Assert.Equal(0, fetched.ErrorCode);
        Assert.Equal(after.BaseOffset + 25, fetched.HighWatermark);
        Assert.Equal(150, fetched.HighWatermark); // 4 x 25 before, 25 during, 25 after
    }

    [Fact(Timeout = 180_000)]
    public async Task Reassignment_errors_are_kafkas_and_a_cancel_reverts_the_move()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Sessions);
        using var admin = await cluster.ConnectAsync(3);
        await CreateTopicAsync(admin, "rv", [1, 2]);
        await cluster.WaitForTopicAsync("rv");

        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await ReassignAsync(admin, "nope", 0, [1, 2])).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await ReassignAsync(admin, "rv", 7, [1, 2])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, (await ReassignAsync(admin, "rv", 0, [])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, (await ReassignAsync(admin, "rv", 0, [2, 2])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, (await ReassignAsync(admin, "rv", 0, [2, 9])).ErrorCode);
        Assert.Equal((short)ErrorCode.NoReassignmentInProgress, (await ReassignAsync(admin, "rv", 0, null)).ErrorCode);
        Assert.Equal(0, Partition(cluster, "rv").PartitionEpoch); // nothing was written

        // Cancel: back to [1,2]; the replica added on node 3 is dropped again.
        cluster.Node(3).ReplicaFetchers!.Paused = true;
        Assert.Equal(0, (await ReassignAsync(admin, "rv", 0, [1, 3])).ErrorCode);
        await cluster.WaitForImageAsync(i => i.Topic("rv")!.Partitions[0].IsReassigning, "the move starts");
        await Eventually.TrueAsync(() => cluster.Node(3).Replicas.Get("rv", 0) is not null, "node 3 starts the added replica");
        var listed = Assert.Single(Assert.Single((await ListAsync(admin, [("rv", [0, 5])])).Topics).Partitions);
        Assert.Equal([1, 3, 2], listed.Replicas);
        Assert.Empty((await ListAsync(admin, [("nope", [0])])).Topics);
        Assert.Equal(0, (await ReassignAsync(admin, "rv", 0, null)).ErrorCode);
        await cluster.WaitForImageAsync(i => i.Topic("rv")!.Partitions[0] is { IsReassigning: false } p && p.Replicas.SequenceEqual([1, 2]), "the move is reverted");
        Assert.Equal(1, Partition(cluster, "rv").Leader);
        await Eventually.TrueAsync(() => cluster.Node(3).Replicas.Get("rv", 0) is null, "node 3 drops the replica");
        cluster.Node(3).ReplicaFetchers!.Paused = false;

        // A pure shrink ([1,2] -> [1]) needs no copy: it completes at once.
        Assert.Equal(0, (await ReassignAsync(admin, "rv", 0, [1])).ErrorCode);
        await cluster.WaitForImageAsync(i => i.Topic("rv")!.Partitions[0] is { IsReassigning: false } p && p.Replicas.SequenceEqual([1]), "the shrink completes");

        // A fenced broker is not a valid target.
        await cluster.CrashNodeAsync(2);
        await cluster.WaitForImageAsync(i => i.Brokers[2].Fenced, "node 2 is fenced");
        var fenced = await ReassignAsync(admin, "rv", 0, [1, 2]);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, fenced.ErrorCode);
        Assert.Contains("fenced", fenced.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task ElectLeaders_moves_leadership_back_to_the_preferred_replica_and_unclean_elects_a_live_replica()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, new Dictionary<string, string?> { ["replica.lag.time.max.ms"] = "4000", ["broker.session.timeout.ms"] = "10000" });
        using var admin = await cluster.ConnectAsync(2);
        await CreateTopicAsync(admin, "pref", [3, 1]);
        await CreateTopicAsync(admin, "dirty", [3, 2]);
        await cluster.WaitForTopicAsync("pref");
        await cluster.WaitForTopicAsync("dirty");

        var (unknown, _) = await ElectAsync(admin, 0, [("nope", [0])]);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, unknown);
        Assert.Equal((short)ErrorCode.ElectionNotNeeded, (await ElectAsync(admin, 0, [("pref", [0])])).Error);
        Assert.Equal((short)ErrorCode.ElectionNotNeeded, (await ElectAsync(admin, 1, [("pref", [0])])).Error); // it has a leader

        // "dirty": node 2 falls out of the ISR, then node 3 (the only ISR member) crashes: no leader.
        cluster.Node(2).ReplicaFetchers!.Paused = true;
        using var three = await cluster.ConnectAsync(3);
        Assert.Equal(0, (await ProduceAsync(three, "dirty", Batch(5, "a"), acks: 1)).ErrorCode);
        await cluster.WaitForImageAsync(i => i.Topic("dirty")!.Partitions[0].Isr.SequenceEqual([3]), "node 2 leaves the ISR of dirty");
        cluster.Node(2).ReplicaFetchers!.Paused = false;
        await cluster.CrashNodeAsync(3);
        // pref moves to node 1 (or, if node 1 fell out of its ISR under load, waits leaderless for node 3).
        await cluster.WaitForImageAsync(i => i.Brokers[3].Fenced && i.Topic("pref")!.Partitions[0].Leader != 3
            && i.Topic("dirty")!.Partitions[0].Leader == -1, "node 3 is fenced: pref moves away from it, dirty has no leader", TimeSpan.FromSeconds(90));

        Assert.Equal((short)ErrorCode.PreferredLeaderNotAvailable, (await ElectAsync(admin, 0, [("pref", [0])])).Error);
        Assert.Equal((short)ErrorCode.PreferredLeaderNotAvailable, (await ElectAsync(admin, 0, [("dirty", [0])])).Error);
        // Unclean: node 2 (out of sync, but live) leads dirty with an ISR of itself.
        Assert.Equal(0, (await ElectAsync(admin, 1, [("dirty", [0])])).Error);
        await cluster.WaitForImageAsync(i => i.Topic("dirty")!.Partitions[0] is { Leader: 2 } p && p.Isr.SequenceEqual([2]), "node 2 leads dirty");

        // Node 3 comes back and rejoins the ISR of pref; the preferred election gives it the leadership back.
        await cluster.RestartNodeAsync(3);
        await cluster.WaitForImageAsync(i => !i.Brokers[3].Fenced && i.Topic("pref")!.Partitions[0].Isr.Contains(3), "node 3 rejoins the ISR of pref",
            TimeSpan.FromSeconds(90));
        var ledBy = Partition(cluster, "pref").Leader; // 1, or 3 when pref was leaderless and node 3 took it back
        // All partitions (null): those already led by their preferred replica are left out of the answer.
        var all = await admin.SendAsync<ElectLeadersResponse>(new ElectLeadersRequest { ElectionType = 0, TopicPartitions = null }, 2);
        Assert.Equal(0, all.ErrorCode);
        var pref = Assert.Single(all.ReplicaElectionResults, r => r.Topic == "pref");
        if (ledBy == 3)
        {
            Assert.Empty(pref.PartitionResult);
        }
        else
        {
            Assert.Equal(0, Assert.Single(pref.PartitionResult).ErrorCode);
        }
        await cluster.WaitForImageAsync(i => i.Topic("pref")!.Partitions[0].Leader == 3, "node 3 leads pref in every image");
        await Eventually.TrueAsync(() => cluster.Node(3).Replicas.Get("pref", 0)?.State.IsLeader == true, "node 3 leads pref again");
        Assert.Equal((short)ErrorCode.ElectionNotNeeded, (await ElectAsync(admin, 0, [("pref", [0])])).Error);
    }

    private static async Task<AlterPartitionReassignmentsResponse.ReassignablePartitionResponse> ReassignAsync(WireClient client, string topic, int partition, int[]? replicas)
    {
        var response = await client.SendAsync<AlterPartitionReassignmentsResponse>(new AlterPartitionReassignmentsRequest
        {
            Topics = [new AlterPartitionReassignmentsRequest.ReassignableTopic
            {
                Name = topic,
                Partitions = [new AlterPartitionReassignmentsRequest.ReassignablePartition { PartitionIndex = partition, Replicas = replicas?.ToList() }],
            }],
        }, 0);
        Assert.Equal(0, response.ErrorCode);
        return Assert.Single(Assert.Single(response.Responses).Partitions);
    }

    private static Task<ListPartitionReassignmentsResponse> ListAsync(WireClient client, (string Topic, int[] Partitions)[]? topics) =>
        client.SendAsync<ListPartitionReassignmentsResponse>(new ListPartitionReassignmentsRequest
        {
            Topics = topics?.Select(t => new ListPartitionReassignmentsRequest.ListPartitionReassignmentsTopics { Name = t.Topic, PartitionIndexes = [.. t.Partitions] }).ToList(),
        }, 0);

    private static async Task<(short Error, string? Message)> ElectAsync(WireClient client, sbyte type, (string Topic, int[] Partitions)[] topics)
    {
        var response = await client.SendAsync<ElectLeadersResponse>(new ElectLeadersRequest
        {
            ElectionType = type,
            TopicPartitions = [.. topics.Select(t => new ElectLeadersRequest.TopicPartitionsData { Topic = t.Topic, Partitions = [.. t.Partitions] })],
        }, 2);
        Assert.Equal(0, response.ErrorCode);
        var result = Assert.Single(Assert.Single(response.ReplicaElectionResults).PartitionResult);
        return (result.ErrorCode, result.ErrorMessage);
    }
}
