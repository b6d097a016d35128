using Broker.Actors.Group;
using Broker.Actors.Group.Consumer;
using Broker.Actors.Kernel;
using Broker.Actors.Tests.Group.Consumer;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group;

/// <summary>
/// KIP-848 groups in their coordinator shard: ConsumerGroupHeartbeat and ConsumerGroupDescribe as messages, the
/// session timeout on the shard's timers, the group rebuilt from its records by a restarted shard, and a failed
/// append leaving the group as it was.
/// </summary>
public sealed class ConsumerGroupShardTests : ShardTestBase
{
    private readonly FakeTopics _topics = new();

    public ConsumerGroupShardTests() => _topics.Add("t1", 3);

    private ActorRef StartConsumerShard(MemoryOffsetsLog log, int sessionTimeoutMs = 45_000, long offsetsRetentionMs = 7 * 24 * 3_600_000L) =>
        Sys.ActorOf(GroupCoordinatorShard.Props(log, Settings() with
        {
            OffsetsRetentionMs = offsetsRetentionMs,
            OffsetsRetentionCheckIntervalMs = 50,
            Consumer = new ConsumerGroupConfig(sessionTimeoutMs, 1000, int.MaxValue, [new UniformAssignor(), new RangeAssignor()]),
        }, () => _topics));

    private void Restart(ref ActorRef shard, MemoryOffsetsLog log)
    {
        Watch(shard);
        Sys.Stop(shard);
        ExpectTerminated(shard);
        shard = StartConsumerShard(log);
    }

    /// <summary>A client of the consumer protocol: it sends what it owns and takes what it is given.</summary>
    private sealed class Member(string group)
    {
        public string MemberId { get; set; } = string.Empty;

        public int Epoch { get; set; }

        public List<int> Owned { get; set; } = [];

        public ConsumerGroupHeartbeatRequest Request(Guid topicId) => new()
        {
            GroupId = group,
            MemberId = MemberId,
            MemberEpoch = Epoch,
            RebalanceTimeoutMs = 30_000,
            SubscribedTopicNames = ["t1"],
            TopicPartitions = Owned.Count == 0 && Epoch == 0 ? [] : [new() { TopicId = topicId, Partitions = [.. Owned] }],
        };

        public void Take(ConsumerGroupHeartbeatResponse r)
        {
            Assert.Equal(0, r.ErrorCode);
            MemberId = r.MemberId ?? MemberId;
            Epoch = r.MemberEpoch;
            if (r.Assignment is { } a)
            {
                Owned = [.. a.TopicPartitions.SelectMany(t => t.Partitions).Order()];
            }
        }
    }

    /// <summary>Ask with room for a loaded machine (these tests run beside the whole suite on two cores).</summary>
    private T AskPatiently<T>(ActorRef shard, Func<Action<T>, object> message)
    {
        var probe = CreateTestProbe();
        shard.Tell(message(r => probe.Ref.Tell(r!)));
        return probe.ExpectMsg<T>(TimeSpan.FromSeconds(20));
    }

    private ConsumerGroupHeartbeatResponse Heartbeat(ActorRef shard, ConsumerGroupHeartbeatRequest request) =>
        AskPatiently<ConsumerGroupHeartbeatResponse>(shard, done => new ConsumerGroupHeartbeat(request, "client", "/127.0.0.1", done));

    private ConsumerGroupHeartbeatResponse Beat(ActorRef shard, Member member)
    {
        var r = Heartbeat(shard, member.Request(_topics.ByName("t1")!.Id));
        member.Take(r);
        return r;
    }

    private ConsumerGroupDescribeResponse.DescribedGroup DescribeConsumer(ActorRef shard, string group) =>
        AskPatiently<ConsumerGroupDescribeResponse.DescribedGroup>(shard, done => new DescribeConsumerGroup(group, done));

    private IReadOnlyList<ListedGroup> List(ActorRef shard) =>
        AskPatiently<ListGroupsResult>(shard, done => new ListGroups([], [], done)).Groups;

    /// <summary>Two members heartbeat until the group is Stable (each revokes what it lost, then gets what is freed).</summary>
    private (Member A, Member B) TwoStableMembers(ActorRef shard, string group)
    {
        var a = new Member(group);
        var b = new Member(group);
        Beat(shard, a);
        Beat(shard, b);
        for (var round = 0; round < 10 && DescribeConsumer(shard, group).GroupState != "Stable"; round++)
        {
            Beat(shard, a);
            Beat(shard, b);
        }
        Assert.Equal("Stable", DescribeConsumer(shard, group).GroupState);
        return (a, b);
    }

    [Fact]
    public void A_member_joins_by_heartbeat_and_the_group_is_written_described_and_listed()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartConsumerShard(log);
        var a = new Member("g");
        var r = Beat(shard, a);
        Assert.Equal(1, r.MemberEpoch);
        Assert.Equal([0, 1, 2], a.Owned);
        // Kafka's records, decoded with the generated coordinator types: group epoch, metadata, member, target, current.
        var records = log.Records.Select(x => CoordinatorRecord.Parse(x.Key, x.Value)).ToList();
        Assert.All(records, Assert.NotNull);
        Assert.Equal(new[] { 3, 4, 5, 6, 7, 8 }, records.Select(x => (int)x!.KeyVersion).Order().Distinct().ToArray());
        var d = DescribeConsumer(shard, "g");
        Assert.Equal((0, "Stable", 1, 1), (d.ErrorCode, d.GroupState, d.GroupEpoch, d.AssignmentEpoch));
        var m = Assert.Single(d.Members);
        Assert.Equal((a.MemberId, 1), (m.MemberId, m.MemberEpoch));
        Assert.Equal(new[] { 0, 1, 2 }, m.Assignment.TopicPartitions.Single().Partitions.Order().ToArray());
        Assert.Contains(new ListedGroup("g", "consumer", "Stable", "consumer"), List(shard));
        // DescribeGroups (classic) sees a KIP-848 group as Dead, as Kafka 3.7+.
        Assert.Equal("Dead", Describe(shard, "g").State);
        Assert.Equal((short)ErrorCode.GroupIdNotFound, DescribeConsumer(shard, "nope").ErrorCode);
    }

    [Fact]
    public void A_member_that_stops_heartbeating_is_fenced_when_its_session_times_out()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartConsumerShard(log, sessionTimeoutMs: 1500);
        var a = new Member("g");
        Beat(shard, a);
        Assert.Single(DescribeConsumer(shard, "g").Members);
        AwaitCondition(() => DescribeConsumer(shard, "g").Members.Count == 0, TimeSpan.FromSeconds(30), "the session never timed out");
        var d = DescribeConsumer(shard, "g");
        Assert.Equal(("Empty", 2), (d.GroupState, d.GroupEpoch));
        // The fencing is in the log too: the member's tombstones.
        Assert.Contains(log.Records, x => CoordinatorRecord.Parse(x.Key, x.Value) is { KeyVersion: 5, Value: null });
        Assert.Equal((short)ErrorCode.UnknownMemberId, Heartbeat(shard, a.Request(_topics.ByName("t1")!.Id)).ErrorCode);
    }

    [Fact]
    public void A_restarted_shard_rebuilds_the_group_with_its_epochs_and_assignments()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartConsumerShard(log);
        var (a, b) = TwoStableMembers(shard, "g");
        var before = DescribeConsumer(shard, "g");

        Restart(ref shard, log);

        var after = DescribeConsumer(shard, "g");
        Assert.Equal((before.GroupState, before.GroupEpoch, before.AssignmentEpoch), (after.GroupState, after.GroupEpoch, after.AssignmentEpoch));
        Assert.Equal(
            before.Members.Select(m => (m.MemberId, m.MemberEpoch, string.Join(",", m.Assignment.TopicPartitions.SelectMany(t => t.Partitions).Order()))),
            after.Members.Select(m => (m.MemberId, m.MemberEpoch, string.Join(",", m.Assignment.TopicPartitions.SelectMany(t => t.Partitions).Order()))));
        // The members carry on at their epochs: no fencing, no new assignment.
        var epochA = a.Epoch;
        Assert.Equal(epochA, Beat(shard, a).MemberEpoch);
        Assert.Equal(b.Epoch, Beat(shard, b).MemberEpoch);
        Assert.Equal(3, a.Owned.Count + b.Owned.Count);
        Assert.Empty(a.Owned.Intersect(b.Owned));
    }

    [Fact]
    public void A_failed_append_leaves_the_group_as_it_was_and_the_client_gets_the_mapped_error()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartConsumerShard(log);
        var a = new Member("g");
        Beat(shard, a);
        var written = log.Records.Count;

        log.FailWith = ErrorCode.NotLeaderOrFollower;
        var b = new Member("g");
        var failed = Heartbeat(shard, b.Request(_topics.ByName("t1")!.Id));
        Assert.Equal((short)ErrorCode.NotCoordinator, failed.ErrorCode);
        var d = DescribeConsumer(shard, "g");
        Assert.Equal((1, 1, 1), (d.Members.Count, d.GroupEpoch, d.Members[0].MemberEpoch));
        Assert.Equal(written, log.Records.Count);

        // Held: until the append completes, readers see the group as it was.
        log.FailWith = ErrorCode.None;
        log.Hold = true;
        var probe = CreateTestProbe();
        shard.Tell(new ConsumerGroupHeartbeat(b.Request(_topics.ByName("t1")!.Id), "client", "/127.0.0.1", r => probe.Ref.Tell(r)));
        AwaitCondition(() => log.HeldCount == 1);
        Assert.Contains(new ListedGroup("g", "consumer", "Stable", "consumer"), List(shard));
        log.Release();
        b.Take(probe.ExpectMsg<ConsumerGroupHeartbeatResponse>(TimeSpan.FromSeconds(20)));
        Assert.Equal(2, b.Epoch);
        Assert.Equal((2, 2), (DescribeConsumer(shard, "g").Members.Count, DescribeConsumer(shard, "g").GroupEpoch));
        // The member that was there all along carries on (it revokes what the new one gets).
        Assert.Equal(0, Beat(shard, a).ErrorCode);
    }

    [Fact]
    public void A_group_id_is_either_classic_or_consumer()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartConsumerShard(log);
        var classic = JoinDynamicAsync(shard, "c").ExpectMsg<JoinResult>();
        Sync(shard, "c", 1, classic.MemberId, (classic.MemberId, new byte[] { 1 }));
        Assert.Equal((short)ErrorCode.GroupIdNotFound, Heartbeat(shard, new Member("c").Request(_topics.ByName("t1")!.Id)).ErrorCode);

        Beat(shard, new Member("k"));
        Assert.Equal((short)ErrorCode.GroupIdNotFound, Join(shard, JoinRequest("k")).ErrorCode);

        // An empty classic group (offsets only) gives its id to a consumer group; the offsets stay.
        Assert.Equal(ErrorCode.None, Commit(shard, "s", -1, string.Empty, ("t1", 0, 42)));
        var s = new Member("s");
        Beat(shard, s);
        Assert.Equal(1, s.Epoch);
        Assert.Equal(ErrorCode.None, Commit(shard, "s", 1, s.MemberId, ("t1", 1, 7)));
        Assert.Equal(ErrorCode.StaleMemberEpoch, Commit(shard, "s", 5, s.MemberId, ("t1", 1, 8)));

        Restart(ref shard, log);

        Assert.Equal("Stable", DescribeConsumer(shard, "s").GroupState);
        Assert.Equal((42, 7), (FetchOne(shard, "s", "t1", 0), FetchOne(shard, "s", "t1", 1)));
        Assert.Equal("Stable", Describe(shard, "c").State);
        Assert.Contains(List(shard), g => g is { GroupId: "c", GroupType: "classic" });
        Assert.Contains(List(shard), g => g is { GroupId: "k", GroupType: "consumer" });
    }

    [Fact]
    public void An_empty_consumer_group_is_deleted_with_its_offsets()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartConsumerShard(log);
        var a = new Member("g");
        Beat(shard, a);
        Assert.Equal(ErrorCode.None, Commit(shard, "g", 1, a.MemberId, ("t1", 0, 5)));
        Assert.Equal(ErrorCode.NonEmptyGroup, DeleteGroup(shard, "g"));
        var leave = a.Request(_topics.ByName("t1")!.Id);
        leave.MemberEpoch = -1;
        Assert.Equal(-1, Heartbeat(shard, leave).MemberEpoch);
        Assert.Equal(ErrorCode.None, DeleteGroup(shard, "g"));

        Restart(ref shard, log);

        Assert.Equal((short)ErrorCode.GroupIdNotFound, DescribeConsumer(shard, "g").ErrorCode);
        Assert.Equal(-1, FetchOne(shard, "g", "t1", 0));
    }

    [Fact]
    public void An_empty_consumer_group_is_removed_once_its_offsets_expired()
    {
        var log = new MemoryOffsetsLog();
        var retention = TimeSpan.FromMilliseconds(1500);
        var shard = StartConsumerShard(log, offsetsRetentionMs: (long)retention.TotalMilliseconds);
        var a = new Member("g");
        Beat(shard, a);
        var committedAt = DateTime.UtcNow;
        Assert.Equal(ErrorCode.None, Commit(shard, "g", 1, a.MemberId, ("t1", 0, 5)));
        var leave = a.Request(_topics.ByName("t1")!.Id);
        leave.MemberEpoch = -1;
        Assert.Equal(-1, Heartbeat(shard, leave).MemberEpoch);
        // Empty, but its offset is younger than the retention: the group stays (a loaded machine may be too late to see it).
        var early = DescribeConsumer(shard, "g");
        if (DateTime.UtcNow - committedAt < retention)
        {
            Assert.Equal(((short)0, "Empty"), (early.ErrorCode, early.GroupState));
        }

        AwaitCondition(() => DescribeConsumer(shard, "g").ErrorCode == (short)ErrorCode.GroupIdNotFound, TimeSpan.FromSeconds(30));
        Assert.True(DateTime.UtcNow - committedAt >= retention, "the group went before its offsets could expire");
        Assert.DoesNotContain(List(shard), g => g.GroupId == "g");

        // Its tombstones were written: a restarted shard does not bring it back.
        Restart(ref shard, log);
        Assert.Equal((short)ErrorCode.GroupIdNotFound, DescribeConsumer(shard, "g").ErrorCode);
        Assert.Equal(-1, FetchOne(shard, "g", "t1", 0));
    }

    [Fact]
    public void An_unloaded_shard_answers_not_coordinator()
    {
        var shard = StartConsumerShard(new MemoryOffsetsLog());
        shard.Tell(UnloadShard.Instance);
        Assert.Equal((short)ErrorCode.NotCoordinator, Heartbeat(shard, new Member("g").Request(_topics.ByName("t1")!.Id)).ErrorCode);
        Assert.Equal((short)ErrorCode.NotCoordinator, DescribeConsumer(shard, "g").ErrorCode);
    }

    /// <summary>A partition whose replay waits for the test: the shard stays in its load meanwhile.</summary>
    private sealed class SlowReplayLog(MemoryOffsetsLog inner, ManualResetEventSlim release) : IOffsetsPartitionLog
    {
        public int Partition => inner.Partition;

        public void Replay(OffsetsRecordVisitor visitor)
        {
            release.Wait(TimeSpan.FromSeconds(60));
            inner.Replay(visitor);
        }

        public void Append(byte[] batch, Action<ErrorCode> completed) => inner.Append(batch, completed);
    }

    [Fact]
    public void While_its_shard_replays_a_consumer_group_request_gets_coordinator_load_in_progress()
    {
        using var release = new ManualResetEventSlim();
        var coordinator = new GroupCoordinator(Sys, Settings(), 1) { Topics = () => _topics };
        coordinator.Load(new SlowReplayLog(new MemoryOffsetsLog(), release));
        var probe = CreateTestProbe();
        var join = new Member("g").Request(_topics.ByName("t1")!.Id);
        coordinator.Send(new ConsumerGroupHeartbeat(join, "client", "/127.0.0.1", r => probe.Ref.Tell(r)));
        Assert.Equal((short)ErrorCode.CoordinatorLoadInProgress, probe.ExpectMsg<ConsumerGroupHeartbeatResponse>(TimeSpan.FromSeconds(20)).ErrorCode);
        coordinator.Send(new DescribeConsumerGroup("g", r => probe.Ref.Tell(r)));
        Assert.Equal((short)ErrorCode.CoordinatorLoadInProgress, probe.ExpectMsg<ConsumerGroupDescribeResponse.DescribedGroup>(TimeSpan.FromSeconds(20)).ErrorCode);

        release.Set();
        AwaitCondition(() =>
        {
            coordinator.Send(new ConsumerGroupHeartbeat(join, "client", "/127.0.0.1", r => probe.Ref.Tell(r)));
            return probe.ExpectMsg<ConsumerGroupHeartbeatResponse>(TimeSpan.FromSeconds(20)).ErrorCode == 0;
        }, TimeSpan.FromSeconds(60), "the shard never finished loading");
    }
}
