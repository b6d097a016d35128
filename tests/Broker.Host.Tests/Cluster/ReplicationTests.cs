using Broker.Actors.Metadata;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using static Broker.Host.Tests.Cluster.ReplicationClient;

namespace Broker.Host.Tests.Cluster;

/// <summary>Leader/follower replication on three in-process nodes sharing node 1's controller.</summary>
public sealed class ReplicationTests
{
    [Fact]
    public async Task Replication_factor_3_copies_every_batch_byte_for_byte_and_acks_all_waits_for_the_isr()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        using var admin = await cluster.ConnectAsync(1);
        await CreateTopicAsync(admin, "r3", [2, 3, 1]);
        await cluster.WaitForTopicAsync("r3");
        using var leader = await cluster.ConnectAsync(2);
        long end = 0;
        for (var i = 0; i < 5; i++)
        {
            var produced = await ProduceAsync(leader, "r3", Batch(10, "b" + i), acks: -1);
            Assert.Equal(0, produced.ErrorCode);
            Assert.Equal(end, produced.BaseOffset);
            end += 10;
            // acks=all answered: every ISR follower already holds the batch.
            Assert.All([1, 3], id => Assert.True(cluster.Node(id).Replicas.Get("r3", 0)!.Log!.LogEndOffset >= end, $"node {id} lacks offset {end - 1}"));
        }
        await Eventually.TrueAsync(() => cluster.Nodes.All(n => n!.Replicas.Get("r3", 0)!.Log!.HighWatermark == end), "every replica's HW reaches the end");
        var bytes = LogBytes(cluster.Node(2), "r3");
        Assert.Equal(bytes, LogBytes(cluster.Node(1), "r3"));
        Assert.Equal(bytes, LogBytes(cluster.Node(3), "r3"));
        Assert.Equal(cluster.Node(2).Replicas.Get("r3", 0)!.Log!.LeaderEpochCache.Entries, cluster.Node(3).Replicas.Get("r3", 0)!.Log!.LeaderEpochCache.Entries);

        // Consumers read the leader up to the HW; followers refuse them.
        var fetched = await FetchAsync(leader, "r3", 0);
        Assert.Equal(0, fetched.ErrorCode);
        Assert.Equal(end, fetched.HighWatermark);
        using var follower = await cluster.ConnectAsync(3);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, (await FetchAsync(follower, "r3", 0)).ErrorCode);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, (await ProduceAsync(follower, "r3", Batch(1, "x"), acks: 1)).ErrorCode);

        // Metadata shows the leader, replicas, ISR and leader epoch.
        var metadata = await admin.SendAsync<MetadataResponse>(new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "r3" }] }, 12);
        var p = Assert.Single(Assert.Single(metadata.Topics).Partitions);
        Assert.Equal(2, p.LeaderId);
        Assert.Equal(0, p.LeaderEpoch);
        Assert.Equal([2, 3, 1], p.ReplicaNodes);
        Assert.Equal([1, 2, 3], p.IsrNodes.Order());
        Assert.Empty(p.OfflineReplicas);
    }

    [Fact]
    public async Task A_stopped_follower_leaves_the_isr_after_the_lag_time_and_rejoins_when_restarted()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, new Dictionary<string, string?> { ["replica.lag.time.max.ms"] = "1500" });
        using var admin = await cluster.ConnectAsync(1);
        await CreateTopicAsync(admin, "lag", [1, 2, 3]);
        await cluster.WaitForTopicAsync("lag");
        Assert.Equal(0, (await ProduceAsync(admin, "lag", Batch(5, "a"), acks: -1)).ErrorCode);

        await cluster.StopNodeAsync(3);
        // Kafka only drops a follower that is behind: the leader's log must move past it.
        Assert.Equal(0, (await ProduceAsync(admin, "lag", Batch(5, "b"), acks: 1)).ErrorCode);
        await Eventually.TrueAsync(() => Partition(cluster, "lag").Isr.Order().SequenceEqual([1, 2]), "the ISR shrinks to [1,2]");
        var shrunk = Partition(cluster, "lag");
        Assert.Equal(0, shrunk.LeaderEpoch);
        Assert.True(shrunk.PartitionEpoch >= 1);

        // The HW follows the smaller ISR: acks=all completes without node 3.
        var produced = await ProduceAsync(admin, "lag", Batch(5, "c"), acks: -1);
        Assert.Equal(0, produced.ErrorCode);
        Assert.Equal(15, cluster.Node(1).Replicas.Get("lag", 0)!.Log!.HighWatermark);
        var metadata = await admin.SendAsync<MetadataResponse>(new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "lag" }] }, 12);
        Assert.Equal([1, 2], Assert.Single(Assert.Single(metadata.Topics).Partitions).IsrNodes.Order());

        await cluster.RestartNodeAsync(3);
        await Eventually.TrueAsync(() => Partition(cluster, "lag").Isr.Order().SequenceEqual([1, 2, 3]), "node 3 rejoins the ISR");
        await Eventually.TrueAsync(() => cluster.Node(3).Replicas.Get("lag", 0)!.Log!.LogEndOffset == 15, "node 3 catches up");
        Assert.Equal(LogBytes(cluster.Node(1), "lag"), LogBytes(cluster.Node(3), "lag"));
    }

    [Fact]
    public async Task Min_insync_replicas_refuses_acks_all_and_a_lost_isr_times_out_or_fails_after_append()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, new Dictionary<string, string?> { ["replica.lag.time.max.ms"] = "2000" });
        using var admin = await cluster.ConnectAsync(1);
        await CreateTopicAsync(admin, "minisr", [1, 2, 3], new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        await cluster.WaitForTopicAsync("minisr");
        Assert.Equal(0, (await ProduceAsync(admin, "minisr", Batch(3, "a"), acks: -1)).ErrorCode);
        await cluster.StopNodeAsync(2);
        await cluster.StopNodeAsync(3);

        // The ISR still lists the stopped followers: the append happens, but the HW cannot cover it in time.
        var timedOut = await ProduceAsync(admin, "minisr", Batch(1, "b"), acks: -1, timeoutMs: 300);
        Assert.Equal((short)ErrorCode.RequestTimedOut, timedOut.ErrorCode);
        // Waiting longer: the ISR shrinks to the leader alone, which covers the batch but is below min.insync.
        var after = await ProduceAsync(admin, "minisr", Batch(1, "c"), acks: -1, timeoutMs: 60_000);
        Assert.Equal((short)ErrorCode.NotEnoughReplicasAfterAppend, after.ErrorCode);
        Assert.Equal([1], Partition(cluster, "minisr").Isr.ToArray());
        // Now refused before the append; acks=1 still works.
        var before = await ProduceAsync(admin, "minisr", Batch(1, "d"), acks: -1);
        Assert.Equal((short)ErrorCode.NotEnoughReplicas, before.ErrorCode);
        var endBefore = cluster.Node(1).Replicas.Get("minisr", 0)!.Log!.LogEndOffset;
        Assert.Equal(5, endBefore);
        Assert.Equal(0, (await ProduceAsync(admin, "minisr", Batch(1, "e"), acks: 1)).ErrorCode);
    }

    [Fact]
    public async Task A_leader_change_makes_the_old_leader_truncate_its_divergent_tail_and_fences_old_epochs()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        using var admin = await cluster.ConnectAsync(1);
        await CreateTopicAsync(admin, "moves", [2, 3, 1]);
        await cluster.WaitForTopicAsync("moves");
        using var oldLeader = await cluster.ConnectAsync(2);
        var pid = await admin.SendAsync<InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, 4);
        Assert.Equal(0, (await ProduceAsync(oldLeader, "moves", Batch(5, "a", pid.ProducerId, pid.ProducerEpoch, 0), acks: -1)).ErrorCode);

        // Followers stop fetching; the old leader takes writes only it will have (acks=1).
        cluster.Node(1).ReplicaFetchers!.Paused = true;
        cluster.Node(3).ReplicaFetchers!.Paused = true;
        await Task.Delay(1500); // let fetches already in flight finish (max wait 500 ms)
        Assert.Equal(0, (await ProduceAsync(oldLeader, "moves", Batch(3, "divergent"), acks: 1)).ErrorCode);
        Assert.Equal(8, cluster.Node(2).Replicas.Get("moves", 0)!.Log!.LogEndOffset);
        Assert.Equal(5, cluster.Node(3).Replicas.Get("moves", 0)!.Log!.LogEndOffset);

        var controller = cluster.Node(1).LocalController!;
        var elected = await controller.ElectLeaderAsync("moves", 0, 3);
        Assert.Equal(ErrorCode.None, elected.ErrorCode);
        Assert.Equal(1, elected.LeaderEpoch);
        await Eventually.TrueAsync(() => cluster.Node(3).Replicas.Get("moves", 0)!.State.IsLeader, "node 3 leads");
        await Eventually.TrueAsync(() => cluster.Node(2).Replicas.Get("moves", 0)!.State.IsFollower, "node 2 follows");

        // The old leader refuses writes; epochs are checked.
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, (await ProduceAsync(oldLeader, "moves", Batch(1, "late"), acks: 1)).ErrorCode);
        using var newLeader = await cluster.ConnectAsync(3);
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, (await FetchAsync(newLeader, "moves", 0, currentLeaderEpoch: 0)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownLeaderEpoch, (await FetchAsync(newLeader, "moves", 0, currentLeaderEpoch: 7)).ErrorCode);
        Assert.Equal(0, (await FetchAsync(newLeader, "moves", 0, currentLeaderEpoch: 1)).ErrorCode);

        // The new leader continues the idempotent producer's sequence (its state came with the log),
        // and a retried old batch is recognised as a duplicate.
        cluster.Node(1).ReplicaFetchers!.Paused = false;
        cluster.Node(3).ReplicaFetchers!.Paused = false;
        var next = await ProduceAsync(newLeader, "moves", Batch(2, "b", pid.ProducerId, pid.ProducerEpoch, 5), acks: -1);
        Assert.Equal(0, next.ErrorCode);
        Assert.Equal(5, next.BaseOffset);
        var duplicate = await ProduceAsync(newLeader, "moves", Batch(5, "a", pid.ProducerId, pid.ProducerEpoch, 0), acks: -1);
        Assert.Equal(0, duplicate.ErrorCode);
        Assert.Equal(0, duplicate.BaseOffset);

        // The old leader cut its divergent tail (offsets 5-7 of epoch 0) and copied the new leader's.
        await Eventually.TrueAsync(() => cluster.Node(2).Replicas.Get("moves", 0)!.Log!.LogEndOffset == 7
            && cluster.Node(2).Replicas.Get("moves", 0)!.Log!.LeaderEpochCache.LatestEpoch == 1, "node 2 converges on the new leader's log");
        var bytes = LogBytes(cluster.Node(3), "moves");
        Assert.Equal(bytes, LogBytes(cluster.Node(2), "moves"));
        Assert.Equal(bytes, LogBytes(cluster.Node(1), "moves"));

        // OffsetForLeaderEpoch from the new leader's epoch cache: epoch 0 ended at 5.
        var epochs = await newLeader.SendAsync<OffsetForLeaderEpochResponse>(new OffsetForLeaderEpochRequest
        {
            ReplicaId = -1,
            Topics = [new OffsetForLeaderEpochRequest.OffsetForLeaderTopic
            {
                Topic = "moves",
                Partitions = [new OffsetForLeaderEpochRequest.OffsetForLeaderPartition { Partition = 0, CurrentLeaderEpoch = 1, LeaderEpoch = 0 }],
            }],
        }, 4);
        var answer = Assert.Single(Assert.Single(epochs.Topics).Partitions);
        Assert.Equal(0, answer.ErrorCode);
        Assert.Equal(0, answer.LeaderEpoch);
        Assert.Equal(5, answer.EndOffset);
    }

    [Fact]
    public async Task AlterPartition_checks_leader_and_partition_epochs_and_the_leader_re_expands_a_shrunk_isr()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        using var admin = await cluster.ConnectAsync(1);
        await CreateTopicAsync(admin, "alter", [2, 1, 3]);
        var topicId = cluster.Node(1).Metadata.Current.Topic("alter")!.Id;

        async Task<AlterPartitionResponse.PartitionData> AlterAsync(int leaderEpoch, int partitionEpoch, int[] isr)
        {
            var response = await admin.SendAsync<AlterPartitionResponse>(new AlterPartitionRequest
            {
                BrokerId = 2,
                BrokerEpoch = -1,
                Topics = [new AlterPartitionRequest.TopicData
                {
                    TopicId = topicId,
                    Partitions = [new AlterPartitionRequest.PartitionData
                    {
                        PartitionIndex = 0, LeaderEpoch = leaderEpoch, PartitionEpoch = partitionEpoch,
                        NewIsrWithEpochs = [.. isr.Select(b => new AlterPartitionRequest.BrokerState { BrokerId = b, BrokerEpoch = -1 })],
                    }],
                }],
            }, 3);
            Assert.Equal(0, response.ErrorCode);
            return Assert.Single(Assert.Single(response.Topics).Partitions);
        }

        var epoch = Partition(cluster, "alter").PartitionEpoch;
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, (await AlterAsync(leaderEpoch: 5, epoch, [2, 1])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidUpdateVersion, (await AlterAsync(leaderEpoch: 0, epoch + 7, [2, 1])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, (await AlterAsync(leaderEpoch: 0, epoch, [1, 3])).ErrorCode); // leader not in it

        var shrunk = await AlterAsync(leaderEpoch: 0, epoch, [2, 1]);
        Assert.Equal(0, shrunk.ErrorCode);
        Assert.Equal(epoch + 1, shrunk.PartitionEpoch);
        Assert.Equal([2, 1], shrunk.Isr);
        // Node 3 still fetches and is caught up, so the leader proposes it back into the ISR.
        await Eventually.TrueAsync(() => Partition(cluster, "alter").Isr.Length == 3, "the leader re-expands the ISR");
        Assert.True(Partition(cluster, "alter").PartitionEpoch >= epoch + 2);
    }
}
