using System.Diagnostics;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// Fast fencing on three in-process nodes over real sockets, with a session far longer than the test: a
/// crashed broker (connection to the controller closed, listener closed) is fenced at once and its leaderships
/// move within the ISR; a closed connection alone, with the listener still up, fences nothing; a new incarnation
/// on the listeners of a live registration fences the previous one and moves its leaderships in the same batch.
/// </summary>
public sealed class BrokerLivenessTests
{
    private static readonly Dictionary<string, string?> LongSession = new()
    {
        ["broker.session.timeout.ms"] = "60000",
        ["controller.broker.liveness.probe.interval.ms"] = "200",
    };

    private static async Task CreateAsync(InProcessCluster cluster, string name, int partitions)
    {
        using var client = await cluster.ConnectAsync(1);
        var topic = new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = partitions, ReplicationFactor = 3 };
        var created = await client.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest { Topics = [topic], timeoutMs = 30000 }, 7);
        Assert.Equal(0, Assert.Single(created.Topics).ErrorCode);
        await cluster.WaitForTopicAsync(name);
    }

    [Fact]
    public async Task A_crashed_broker_is_fenced_long_before_its_session_times_out()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, LongSession);
        await CreateAsync(cluster, "crash", 6);
        var before = cluster.Image.Topic("crash")!.Partitions;
        Assert.Contains(before, p => p.Leader == 3);

        var crashed = Stopwatch.StartNew();
        await cluster.CrashNodeAsync(3);
        await cluster.WaitForImageAsync(image => image.Brokers[3].Fenced, "broker 3 is fenced", TimeSpan.FromSeconds(30));
        Assert.True(crashed.Elapsed < TimeSpan.FromSeconds(20), $"fenced after {crashed.Elapsed} (session 60 s)");
        foreach (var p in cluster.Image.Topic("crash")!.Partitions)
        {
            Assert.NotEqual(3, p.Leader);
            Assert.NotEqual(-1, p.Leader);
            Assert.DoesNotContain(3, p.Isr);
        }
    }

    [Fact]
    public async Task A_closed_connection_of_a_broker_that_still_listens_fences_nothing()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, LongSession);
        var broker = cluster.Image.Brokers[2];
        // A heartbeat of broker 2 over a connection of our own, which then closes: the controller suspects
        // broker 2, but its listener answers the probe, so it stays (and its own heartbeats go on).
        using (var client = await cluster.ConnectAsync(1))
        {
            var heartbeat = await client.SendAsync<BrokerHeartbeatResponse>(new BrokerHeartbeatRequest
            {
                BrokerId = 2, BrokerEpoch = broker.BrokerEpoch, CurrentMetadataOffset = cluster.Image.Offset,
            }, 1);
            Assert.Equal(0, heartbeat.ErrorCode);
        }
        await Task.Delay(3000);
        Assert.False(cluster.Image.Brokers[2].Fenced);
        Assert.Equal(broker.BrokerEpoch, cluster.Image.Brokers[2].BrokerEpoch);
    }

    [Fact]
    public async Task A_follower_refusing_a_produce_names_the_leader_and_where_it_listens()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        await CreateAsync(cluster, "hint", 1);
        var partition = cluster.Image.Topic("hint")!.Partitions[0];
        var follower = partition.Replicas.First(r => r != partition.Leader);
        await Eventually.TrueAsync(() => cluster.Node(follower).Replicas.Get("hint", 0)?.State.IsFollower == true, "the follower knows its leader");
        using var client = await cluster.ConnectAsync(follower);
        var request = new ProduceRequest
        {
            Acks = 1, TimeoutMs = 30000,
            TopicData = [new ProduceRequest.TopicProduceData
            {
                Name = "hint",
                PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = ReplicationClient.Batch(1, "x") }],
            }],
        };
        // KIP-951 (v10+): NOT_LEADER_OR_FOLLOWER with the current leader and its endpoint, no metadata round trip needed.
        var response = await client.SendAsync<ProduceResponse>(request, 11);
        var result = Assert.Single(Assert.Single(response.Responses).PartitionResponses);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, result.ErrorCode);
        Assert.Equal(partition.Leader, result.CurrentLeader.LeaderId);
        Assert.Equal(partition.LeaderEpoch, result.CurrentLeader.LeaderEpoch);
        var endpoint = Assert.Single(response.NodeEndpoints);
        Assert.Equal(partition.Leader, endpoint.NodeId);
        Assert.Equal(cluster.Node(partition.Leader).Port, endpoint.Port);
    }

    [Fact]
    public async Task A_new_incarnation_on_the_same_listeners_fences_the_previous_one_and_moves_its_leaderships()
    {
        var settings = new Dictionary<string, string?>(LongSession) { ["controller.broker.liveness.probe.interval.ms"] = "0" };
        await using var cluster = await InProcessCluster.StartAsync(3, settings);
        await CreateAsync(cluster, "restart", 6);
        var before = cluster.Image;
        var old = before.Brokers[3];
        Assert.Contains(before.Topic("restart")!.Partitions, p => p.Leader == 3);

        // What a restarted process on the same ports sends: same listeners, a new incarnation id.
        using var client = await cluster.ConnectAsync(1);
        var registered = await client.SendAsync<BrokerRegistrationResponse>(new BrokerRegistrationRequest
        {
            BrokerId = 3, ClusterId = before.ClusterId, IncarnationId = Guid.NewGuid(),
            Listeners = [.. old.Endpoints.Select(e => new BrokerRegistrationRequest.Listener { Name = e.Name, Host = e.Host, Port = (ushort)e.Port, SecurityProtocol = e.SecurityProtocol })],
        }, 3);
        Assert.Equal(0, registered.ErrorCode);
        Assert.True(registered.BrokerEpoch > old.BrokerEpoch);

        // The answer comes once the batch is committed: the old incarnation's leaderships are already gone.
        await cluster.WaitForImageAsync(image => image.Offset >= registered.BrokerEpoch, "the registration applied");
        foreach (var p in cluster.Node(1).MetadataPublisher.Current.Topic("restart")!.Partitions)
        {
            var was = before.Topic("restart")!.Partitions.Single(b => b.Partition == p.Partition);
            if (was.Leader == 3)
            {
                Assert.NotEqual(3, p.Leader);
                Assert.Equal(was.LeaderEpoch + 1, p.LeaderEpoch);
            }
        }
    }
}
