using Broker.Actors.Configs;
using Broker.Actors.Metadata;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Tests.Metadata;

/// <summary>The controller over IMetadataQuorum: local one-voter log, and a shared quorum with failover.</summary>
public sealed class QuorumControllerTests : TestKit.TestKit, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("controller-quorum-").FullName;

    void IDisposable.Dispose()
    {
        Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private ControllerSettings Settings(int nodeId) =>
        new(_dir, [_dir], nodeId, 1, 1, BrokerConfigs.Definition.ParseAll(new Dictionary<string, string?> { ["node.id"] = nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["process.roles"] = "broker,controller" }));

    [Fact]
    public async Task Local_quorum_replays_its_log_and_starts_a_new_epoch_on_every_start()
    {
        var publisher = new MetadataPublisher("cluster");
        int firstEpoch;
        using (var quorum = new LocalMetadataQuorum(1, _dir))
        {
            quorum.Start(publisher);
            firstEpoch = quorum.Leader.Epoch;
            Assert.Equal(new QuorumLeader(1, 1), quorum.Leader);
            var id = Guid.NewGuid();
            var offset = await quorum.AppendAsync(firstEpoch, [new TopicRecord { Name = "t", TopicId = id }, new PartitionRecord { TopicId = id, PartitionId = 0, Replicas = [1], Isr = [1], Leader = 1 }]);
            Assert.Equal(1, offset);
            Assert.Equal(1, publisher.Current.Offset);
            Assert.NotNull(publisher.Current.Topic("t"));
            await Assert.ThrowsAsync<NotControllerException>(() => quorum.AppendAsync(firstEpoch + 1, [new NoOpRecord()]));
        }
        var again = new MetadataPublisher("cluster");
        using (var quorum = new LocalMetadataQuorum(1, _dir))
        {
            quorum.Start(again);
            Assert.Equal(firstEpoch + 1, quorum.Leader.Epoch);
            Assert.Equal(1, quorum.CommittedOffset);
            Assert.Equal(1, again.Current.Offset);
            Assert.Equal(1, Assert.Single(again.Current.Topic("t")!.Partitions).Leader);
        }
    }

    [Fact]
    public async Task Controller_commits_through_the_local_quorum_and_never_reuses_producer_ids_after_a_restart()
    {
        long firstId;
        using (var quorum = new LocalMetadataQuorum(1, _dir))
        {
            var publisher = new MetadataPublisher("cluster");
            quorum.Start(publisher);
            var controller = QuorumController.Start(Sys, Settings(1), quorum, publisher);
            var created = await controller.CreateTopicsAsync([new NewTopic("orders", 3, 1, new Dictionary<string, string?>())], validateOnly: false);
            Assert.Equal(0, Assert.Single(created).ErrorCode);
            // Answered once committed: the image already has it.
            Assert.Equal(3, controller.Current.Topic("orders")!.Partitions.Length);
            var duplicate = await controller.CreateTopicsAsync([new NewTopic("orders", 3, 1, new Dictionary<string, string?>())], validateOnly: false);
            Assert.Equal((short)ErrorCode.TopicAlreadyExists, Assert.Single(duplicate).ErrorCode);
            firstId = await controller.AllocateProducerIdAsync();
            Assert.Equal(firstId + 1, await controller.AllocateProducerIdAsync());
        }
        await using var restarted = Broker.Actors.Kernel.ActorSystem.Create("restarted", Logs);
        using (var quorum = new LocalMetadataQuorum(1, _dir))
        {
            var publisher = new MetadataPublisher("cluster");
            quorum.Start(publisher);
            Assert.NotNull(publisher.Current.Topic("orders"));
            var controller = QuorumController.Start(restarted, Settings(1), quorum, publisher);
            var next = await controller.AllocateProducerIdAsync();
            Assert.True(next >= firstId + ControllerActor.ProducerIdBlockSize, $"id {next} reuses the first block starting at {firstId}");
        }
    }

    [Fact]
    public async Task A_heartbeat_received_before_its_broker_was_fenced_does_not_unfence_it()
    {
        using var quorum = new LocalMetadataQuorum(1, _dir);
        var publisher = new MetadataPublisher("cluster");
        quorum.Start(publisher);
        var controller = QuorumController.Start(Sys, Settings(1) with { SessionTimeoutMs = 1000 }, quorum, publisher);
        var registered = await controller.RegisterBrokerAsync(2, "cluster", Guid.NewGuid(), [new BrokerEndpointImage("PLAINTEXT", "127.0.0.1", 9092, 0)], null);
        Assert.Equal(ErrorCode.None, registered.Error);
        var epoch = registered.BrokerEpoch;
        Assert.False((await controller.HeartbeatAsync(2, epoch, publisher.Current.Offset, false, false)).IsFenced);

        // A heartbeat that reached the controller now but waits (as behind a commit in the stash) until the
        // session has run out: the broker died meanwhile, and its old heartbeat must not bring it back.
        var late = new ControllerActor.BrokerHeartbeat(2, epoch, publisher.Current.Offset, false, false);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!publisher.Current.Brokers[2].Fenced && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(publisher.Current.Brokers[2].Fenced, "the session did not expire");
        var reply = await controller.Ask<HeartbeatReply>(late);
        Assert.True(reply.IsFenced);
        Assert.True(publisher.Current.Brokers[2].Fenced);

        // A heartbeat sent after the fence is a live broker: unfenced again.
        Assert.False((await controller.HeartbeatAsync(2, epoch, publisher.Current.Offset, false, false)).IsFenced);
        Assert.False(publisher.Current.Brokers[2].Fenced);
    }

    /// <summary>A quorum whose appends wait at a gate while it is closed (a slow commit under load).</summary>
    private sealed class GatedQuorum(IMetadataQuorum inner) : IMetadataQuorum
    {
        public TaskCompletionSource? Gate { get; set; }

        public int NodeId => inner.NodeId;

        public QuorumLeader Leader => inner.Leader;

        public long CommittedOffset => inner.CommittedOffset;

        public void Start(IMetadataListener listener) => inner.Start(listener);

        public async Task<long> AppendAsync(int epoch, IReadOnlyList<IKafkaMessage> records)
        {
            if (Gate is { } gate)
            {
                await gate.Task;
            }
            return await inner.AppendAsync(epoch, records);
        }

        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task Every_command_stashed_behind_a_commit_is_answered_once_it_commits()
    {
        using var quorum = new GatedQuorum(new LocalMetadataQuorum(1, _dir));
        var publisher = new MetadataPublisher("cluster");
        quorum.Start(publisher);
        var controller = QuorumController.Start(Sys, Settings(1) with { SessionTimeoutMs = 60_000 }, quorum, publisher);
        var epochs = new Dictionary<int, long>();
        foreach (var id in new[] { 2, 3 })
        {
            var registered = await controller.RegisterBrokerAsync(id, "cluster", Guid.NewGuid(), [new BrokerEndpointImage("PLAINTEXT", "127.0.0.1", 9090 + id, 0)], null);
            Assert.Equal(ErrorCode.None, registered.Error);
            epochs[id] = registered.BrokerEpoch;
            Assert.False((await controller.HeartbeatAsync(id, epochs[id], publisher.Current.Offset, false, false)).IsFenced);
        }

        // A registration appends and waits at the gate; heartbeats that commit nothing arrive meanwhile and are stashed.
        quorum.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registering = controller.RegisterBrokerAsync(4, "cluster", Guid.NewGuid(), [new BrokerEndpointImage("PLAINTEXT", "127.0.0.1", 9094, 0)], null);
        var heartbeats = new[] { 2, 3, 2, 3 }.Select(id => controller.HeartbeatAsync(id, epochs[id], publisher.Current.Offset, false, false)).ToArray();
        Assert.False(registering.IsCompleted);
        quorum.Gate.SetResult();
        quorum.Gate = null;

        // Once the registration commits, every stashed heartbeat is answered (not only the first: the others
        // used to wait for some later commit, and their brokers were fenced by their session meanwhile).
        Assert.Equal(ErrorCode.None, (await registering.WaitAsync(TimeSpan.FromSeconds(20))).Error);
        foreach (var reply in await Task.WhenAll(heartbeats).WaitAsync(TimeSpan.FromSeconds(20)))
        {
            Assert.Equal(ErrorCode.None, reply.Error);
            Assert.False(reply.IsFenced);
        }
    }

    [Fact]
    public async Task A_fenced_broker_is_unfenced_only_once_it_has_applied_the_batch_that_fenced_it()
    {
        using var quorum = new LocalMetadataQuorum(1, _dir);
        var publisher = new MetadataPublisher("cluster");
        quorum.Start(publisher);
        var controller = QuorumController.Start(Sys, Settings(1) with { SessionTimeoutMs = 1000 }, quorum, publisher);
        var registered = await controller.RegisterBrokerAsync(2, "cluster", Guid.NewGuid(), [new BrokerEndpointImage("PLAINTEXT", "127.0.0.1", 9092, 0)], null);
        var epoch = registered.BrokerEpoch;
        var beforeFence = publisher.Current.Offset;
        Assert.False((await controller.HeartbeatAsync(2, epoch, beforeFence, false, false)).IsFenced);

        // Silent for a session (a paused process): fenced. Its image still ends before the fence when it comes back.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!publisher.Current.Brokers[2].Fenced && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(publisher.Current.Brokers[2].Fenced, "the session did not expire");
        var stale = await controller.HeartbeatAsync(2, epoch, beforeFence, false, false);
        Assert.True(stale.IsFenced, "unfenced with an image from before its fence");
        Assert.False(stale.IsCaughtUp);
        Assert.True(publisher.Current.Brokers[2].Fenced);

        // Once it reports an offset at or past the fence, it is unfenced.
        Assert.False((await controller.HeartbeatAsync(2, epoch, publisher.Current.Offset, false, false)).IsFenced);
        Assert.False(publisher.Current.Brokers[2].Fenced);
    }

    [Fact]
    public async Task Only_the_leader_controller_answers_and_a_new_leader_sees_everything_committed_before()
    {
        var shared = new SharedMetadataQuorum();
        await using var system2 = Broker.Actors.Kernel.ActorSystem.Create("node2", Logs);
        var quorum1 = shared.Join(1);
        var quorum2 = shared.Join(2);
        var publisher1 = new MetadataPublisher("cluster");
        var publisher2 = new MetadataPublisher("cluster");
        quorum1.Start(publisher1);
        quorum2.Start(publisher2);
        var controller1 = QuorumController.Start(Sys, Settings(1), quorum1, publisher1);
        var controller2 = QuorumController.Start(system2, Settings(2), quorum2, publisher2);

        await Assert.ThrowsAsync<NotControllerException>(() => controller1.CreateTopicsAsync([new NewTopic("a", 1, 1, new Dictionary<string, string?>())], false));

        shared.Elect(1);
        Assert.Equal(0, Assert.Single(await controller1.CreateTopicsAsync([new NewTopic("a", 1, 1, new Dictionary<string, string?>())], false)).ErrorCode);
        // Other nodes apply committed batches asynchronously, as Raft followers do.
        AwaitCondition(() => publisher2.Current.Topic("a") is not null, TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<NotControllerException>(() => controller2.CreateTopicsAsync([new NewTopic("b", 1, 1, new Dictionary<string, string?>())], false));

        shared.Elect(2);
        await Assert.ThrowsAsync<NotControllerException>(() => controller1.CreateTopicsAsync([new NewTopic("b", 1, 1, new Dictionary<string, string?>())], false));
        var again = await controller2.CreateTopicsAsync([new NewTopic("a", 1, 1, new Dictionary<string, string?>())], false);
        Assert.Equal((short)ErrorCode.TopicAlreadyExists, Assert.Single(again).ErrorCode);
        Assert.Equal(0, Assert.Single(await controller2.CreateTopicsAsync([new NewTopic("b", 1, 1, new Dictionary<string, string?>())], false)).ErrorCode);
        AwaitCondition(() => publisher1.Current.Topic("b") is not null, TimeSpan.FromSeconds(30));
    }
}
