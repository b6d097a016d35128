using System.Diagnostics;
using Broker.Actors.Metadata;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Cluster;

/// <summary>Registration, heartbeats, fencing, controlled shutdown and forwarding on three in-process nodes.</summary>
public sealed class BrokerLifecycleTests
{
    private static async Task<CreateTopicsResponse> CreateAsync(InProcessCluster cluster, int viaNode, string name, int partitions, short rf,
        Dictionary<int, List<int>>? assignments = null)
    {
        using var client = await cluster.ConnectAsync(viaNode);
        var topic = new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = assignments is null ? partitions : -1, ReplicationFactor = assignments is null ? rf : (short)-1 };
        foreach (var (p, brokers) in assignments ?? [])
        {
            topic.Assignments.Add(new CreateTopicsRequest.CreatableReplicaAssignment { PartitionIndex = p, BrokerIds = brokers });
        }
        return await client.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest { Topics = [topic], timeoutMs = 30000 }, 7);
    }

    [Fact]
    public async Task Brokers_register_fenced_and_are_unfenced_with_distinct_epochs()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        var image = cluster.Image;
        Assert.Equal([1, 2, 3], image.Brokers.Keys);
        Assert.All(image.Brokers.Values, b => Assert.False(b.Fenced));
        Assert.Equal(3, image.Brokers.Values.Select(b => b.BrokerEpoch).Distinct().Count());
        Assert.All(image.Brokers.Values, b => Assert.Equal(cluster.Node(b.NodeId).Port, b.Port));
        Assert.Equal(image.ClusterId, cluster.Node(3).MetadataPublisher.Current.ClusterId);
    }

    [Fact]
    public async Task A_broker_that_stops_heartbeating_is_fenced_and_its_leaderships_move_within_the_isr()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        Assert.Equal(0, Assert.Single((await CreateAsync(cluster, 2, "moving", 6, 3)).Topics).ErrorCode);
        // A partition whose only replica is broker 3: no other ISR member, so it goes leaderless (unclean election is off).
        Assert.Equal(0, Assert.Single((await CreateAsync(cluster, 1, "only-on-3", 1, 1, new() { [0] = [3] })).Topics).ErrorCode);
        var before = cluster.Image.Topic("moving")!.Partitions;
        Assert.Contains(before, p => p.Leader == 3);

        var crashed = Stopwatch.StartNew();
        await cluster.CrashNodeAsync(3);
        await cluster.WaitForImageAsync(image => image.Brokers[3].Fenced, "broker 3 is fenced");
        // broker.session.timeout.ms is 10 s in the harness: fenced by the session, not at once (half of it at least:
        // on a loaded machine its last heartbeat may have been processed a while before the crash).
        Assert.True(crashed.Elapsed >= TimeSpan.FromSeconds(5), $"fenced after {crashed.Elapsed}");

        var image = cluster.Image;
        foreach (var p in image.Topic("moving")!.Partitions)
        {
            var old = before.Single(b => b.Partition == p.Partition);
            Assert.NotEqual(3, p.Leader);
            Assert.DoesNotContain(3, p.Isr);
            Assert.Equal(old.Replicas, p.Replicas);
            if (old.Leader == 3)
            {
                Assert.Equal(old.LeaderEpoch + 1, p.LeaderEpoch);
                Assert.Contains(p.Leader, old.Isr);
            }
            else
            {
                Assert.Equal(old.Leader, p.Leader);
            }
        }
        var orphan = Assert.Single(image.Topic("only-on-3")!.Partitions);
        Assert.Equal(-1, orphan.Leader);
        Assert.Equal([3], orphan.Isr.ToArray());

        // Clients see it: Metadata from node 1 has no leader on 3 and no broker 3.
        using var client = await cluster.ConnectAsync(1);
        var metadata = await client.SendAsync<MetadataResponse>(new MetadataRequest { Topics = null }, 12);
        Assert.DoesNotContain(metadata.Brokers, b => b.NodeId == 3);
        Assert.All(metadata.Topics.Single(t => t.Name == "moving").Partitions, p => Assert.NotEqual(3, p.LeaderId));

        // The broker comes back: registered again, unfenced once caught up, and the leaderless partition is led again.
        await cluster.StartNodeAsync(3);
        await cluster.WaitForImageAsync(i => !i.Brokers[3].Fenced && i.Topic("only-on-3")!.Partitions[0].Leader == 3, "broker 3 back and leading its partition");
        Assert.NotEqual(image.Brokers[3].IncarnationId, cluster.Image.Brokers[3].IncarnationId);
    }

    [Fact]
    public async Task Controlled_shutdown_moves_leaderships_away_before_the_broker_stops()
    {
        // A session far longer than the test: the broker can only be fenced by its controlled shutdown.
        await using var cluster = await InProcessCluster.StartAsync(3, new Dictionary<string, string?> { ["broker.session.timeout.ms"] = "60000" });
        Assert.Equal(0, Assert.Single((await CreateAsync(cluster, 1, "graceful", 6, 3)).Topics).ErrorCode);
        Assert.Contains(cluster.Image.Topic("graceful")!.Partitions, p => p.Leader == 2);

        var stopping = Stopwatch.StartNew();
        await cluster.ShutdownNodeAsync(2);
        // No session timeout involved: by the time the node is down, the controller has moved everything.
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(30), $"controlled shutdown took {stopping.Elapsed}");
        var image = cluster.Image;
        Assert.True(image.Brokers[2].Fenced);
        Assert.All(image.Topic("graceful")!.Partitions, p =>
        {
            Assert.NotEqual(2, p.Leader);
            Assert.NotEqual(-1, p.Leader);
            Assert.DoesNotContain(2, p.Isr);
        });
    }

    [Fact]
    public async Task Admin_requests_are_forwarded_to_the_active_controller_and_follow_it_when_it_moves()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        Assert.Equal(0, Assert.Single((await CreateAsync(cluster, 3, "via-3", 2, 2)).Topics).ErrorCode);
        // The forwarding node's own image has the topic when it answers.
        Assert.NotNull(cluster.Node(3).MetadataPublisher.Current.Topic("via-3"));

        cluster.ElectController(2);
        Assert.Equal(0, Assert.Single((await CreateAsync(cluster, 1, "via-1", 1, 3)).Topics).ErrorCode);
        using (var client = await cluster.ConnectAsync(3))
        {
            var altered = await client.SendAsync<IncrementalAlterConfigsResponse>(new IncrementalAlterConfigsRequest
            {
                Resources = [new IncrementalAlterConfigsRequest.AlterConfigsResource
                {
                    ResourceType = 2, ResourceName = "via-1",
                    Configs = [new IncrementalAlterConfigsRequest.AlterableConfig { Name = "retention.ms", Value = "12345", ConfigOperation = 0 }],
                }],
            }, 1);
            Assert.Equal(0, Assert.Single(altered.Responses).ErrorCode);
            Assert.Equal("12345", cluster.Node(3).MetadataPublisher.Current.Topic("via-1")!.Configs["retention.ms"]);

            var partitions = await client.SendAsync<CreatePartitionsResponse>(new CreatePartitionsRequest
            {
                Topics = [new CreatePartitionsRequest.CreatePartitionsTopic { Name = "via-3", Count = 4, Assignments = null }],
                TimeoutMs = 30000,
            }, 3);
            Assert.Equal(0, Assert.Single(partitions.Results).ErrorCode);
            Assert.Equal(4, cluster.Node(3).MetadataPublisher.Current.Topic("via-3")!.Partitions.Length);

            var init = await client.SendAsync<InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, 4);
            Assert.Equal(0, init.ErrorCode);
            Assert.True(init.ProducerId >= 0);

            var deleted = await client.SendAsync<DeleteTopicsResponse>(new DeleteTopicsRequest { TopicNames = ["via-1"], TimeoutMs = 30000 }, 5);
            Assert.Equal(0, Assert.Single(deleted.Responses).ErrorCode);
            Assert.Null(cluster.Node(3).MetadataPublisher.Current.Topic("via-1"));
        }

        // Producer id blocks come from the log: two brokers never get the same id.
        var ids = new List<long>();
        for (var node = 1; node <= 3; node++)
        {
            using var client = await cluster.ConnectAsync(node);
            ids.Add((await client.SendAsync<InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, 4)).ProducerId);
        }
        Assert.Equal(3, ids.Distinct().Count());
    }

    [Fact]
    public async Task Without_an_active_controller_admin_requests_fail_with_NOT_CONTROLLER()
    {
        await using var cluster = await InProcessCluster.StartAsync(2);
        cluster.Quorum.Resign();
        var created = await CreateAsync(cluster, 2, "nobody-decides", 1, 1);
        Assert.Equal((short)ErrorCode.NotController, Assert.Single(created.Topics).ErrorCode);
        using var client = await cluster.ConnectAsync(1);
        var heartbeat = await client.SendAsync<BrokerHeartbeatResponse>(new BrokerHeartbeatRequest { BrokerId = 2, BrokerEpoch = 1 }, 1);
        Assert.Equal((short)ErrorCode.NotController, heartbeat.ErrorCode);

        cluster.ElectController(1);
        Assert.Equal(0, Assert.Single((await CreateAsync(cluster, 2, "someone-decides", 1, 1)).Topics).ErrorCode);
    }

    [Fact]
    public async Task A_stale_broker_epoch_is_refused()
    {
        await using var cluster = await InProcessCluster.StartAsync(2);
        using var client = await cluster.ConnectAsync(1);
        var epoch = cluster.Image.Brokers[2].BrokerEpoch;
        var stale = await client.SendAsync<BrokerHeartbeatResponse>(new BrokerHeartbeatRequest { BrokerId = 2, BrokerEpoch = epoch - 1, CurrentMetadataOffset = 100 }, 1);
        Assert.Equal((short)ErrorCode.StaleBrokerEpoch, stale.ErrorCode);
        var unknown = await client.SendAsync<BrokerHeartbeatResponse>(new BrokerHeartbeatRequest { BrokerId = 9, BrokerEpoch = 1 }, 1);
        Assert.Equal((short)ErrorCode.BrokerIdNotRegistered, unknown.ErrorCode);
        var duplicate = await client.SendAsync<BrokerRegistrationResponse>(new BrokerRegistrationRequest
        {
            BrokerId = 2, ClusterId = cluster.Image.ClusterId, IncarnationId = Guid.NewGuid(),
            Listeners = [new BrokerRegistrationRequest.Listener { Name = "PLAINTEXT", Host = "127.0.0.1", Port = 1 }],
        }, 3);
        Assert.Equal((short)ErrorCode.DuplicateBrokerRegistration, duplicate.ErrorCode);
        var foreign = await client.SendAsync<BrokerRegistrationResponse>(new BrokerRegistrationRequest
        {
            BrokerId = 7, ClusterId = "some-other-cluster-id", IncarnationId = Guid.NewGuid(),
        }, 3);
        Assert.Equal((short)ErrorCode.InconsistentClusterId, foreign.ErrorCode);
    }
}
