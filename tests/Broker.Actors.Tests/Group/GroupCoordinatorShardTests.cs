using Broker.Actors.Group;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group;

/// <summary>The shard's classic protocol: error answers, the two-step join, rebalances driven by its timers.</summary>
public sealed class GroupCoordinatorShardTests : ShardTestBase
{
    [Fact]
    public void Partition_follows_java_string_hash()
    {
        // "group-1".hashCode() == 293427299 in Java (31*h + c over UTF-16 units).
        Assert.Equal(293427299 % 50, GroupCoordinator.PartitionFor("group-1", 50));
    }

    [Fact]
    public void Empty_group_id_is_invalid_and_bad_session_timeout_rejected()
    {
        var shard = StartShard(new MemoryOffsetsLog());
        Assert.Equal((short)ErrorCode.InvalidGroupId, Join(shard, JoinRequest("")).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidSessionTimeout, Join(shard, JoinRequest("g", sessionMs: 10)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, Join(shard, JoinRequest("g", "who")).ErrorCode);
    }

    [Fact]
    public void Member_id_required_then_join_sync_heartbeat_commit_checks()
    {
        var shard = StartShard(new MemoryOffsetsLog());
        var joined = JoinDynamicAsync(shard, "g").ExpectMsg<JoinResult>();
        Assert.Equal(0, joined.ErrorCode);
        Assert.Equal(1, joined.GenerationId);
        Assert.Equal(joined.MemberId, joined.Leader);
        Assert.Single(joined.Members);
        Assert.Equal("range", joined.ProtocolName);

        var sync = Sync(shard, "g", 1, joined.MemberId, (joined.MemberId, new byte[] { 7 }));
        Assert.Equal(0, sync.ErrorCode);
        Assert.Equal(new byte[] { 7 }, sync.Assignment.ToArray());
        Assert.Equal("Stable", Describe(shard, "g").State);

        Assert.Equal(ErrorCode.None, Heartbeat(shard, "g", 1, joined.MemberId));
        Assert.Equal(ErrorCode.UnknownMemberId, Heartbeat(shard, "g", 1, "nobody"));
        Assert.Equal(ErrorCode.IllegalGeneration, Heartbeat(shard, "g", 7, joined.MemberId));
        Assert.Equal(ErrorCode.IllegalGeneration, Commit(shard, "g", 7, joined.MemberId, ("t1", 0, 5)));
        Assert.Equal(ErrorCode.UnknownMemberId, Commit(shard, "g", 1, "nobody", ("t1", 0, 5)));
        Assert.Equal(ErrorCode.None, Commit(shard, "g", 1, joined.MemberId, ("t1", 0, 5)));
        Assert.Equal(5, FetchOne(shard, "g", "t1", 0));
        Assert.Equal(ErrorCode.NonEmptyGroup, DeleteGroup(shard, "g"));

        var leave = Leave(shard, "g", (joined.MemberId, null));
        Assert.Equal(ErrorCode.None, leave.Error);
        Assert.Equal(ErrorCode.None, leave.Members.Single().Error);
        Assert.Equal("Empty", Describe(shard, "g").State);
        // Empty now: a simple (generation -1) commit is allowed and the group can be deleted.
        Assert.Equal(ErrorCode.None, Commit(shard, "g", -1, string.Empty, ("t1", 0, 6)));
        Assert.Equal(ErrorCode.None, DeleteGroup(shard, "g"));
        Assert.Equal(ErrorCode.GroupIdNotFound, DeleteGroup(shard, "g"));
        Assert.Equal("Dead", Describe(shard, "g").State);
        Assert.Equal(-1, FetchOne(shard, "g", "t1", 0));
    }

    [Fact]
    public void Second_member_triggers_a_rebalance_and_both_get_the_next_generation()
    {
        var shard = StartShard(new MemoryOffsetsLog());
        var a = JoinDynamicAsync(shard, "g").ExpectMsg<JoinResult>();
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 1 }));
        var bProbe = JoinDynamicAsync(shard, "g");
        bProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(ErrorCode.RebalanceInProgress, Heartbeat(shard, "g", 1, a.MemberId));
        Assert.Equal("PreparingRebalance", Describe(shard, "g").State);
        var aAgain = Join(shard, JoinRequest("g", a.MemberId));
        var b = bProbe.ExpectMsg<JoinResult>();
        Assert.Equal(2, aAgain.GenerationId);
        Assert.Equal(2, b.GenerationId);
        Assert.Equal(a.MemberId, aAgain.Leader);
        Assert.Equal(2, aAgain.Members.Count);
        Assert.Empty(b.Members);
        Assert.Equal("CompletingRebalance", Describe(shard, "g").State);
        // The follower's sync waits for the leader's assignment.
        var bSync = SyncAsync(shard, "g", 2, b.MemberId);
        bSync.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, Sync(shard, "g", 2, a.MemberId, (a.MemberId, new byte[] { 1 }), (b.MemberId, new byte[] { 2 })).ErrorCode);
        Assert.Equal(new byte[] { 2 }, bSync.ExpectMsg<SyncResult>().Assignment.ToArray());
    }

    [Fact]
    public void A_member_that_stops_heartbeating_expires_and_the_group_becomes_empty()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartShard(log);
        var a = JoinDynamicAsync(shard, "g", sessionMs: 200).ExpectMsg<JoinResult>();
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 1 }));
        AwaitCondition(() => Describe(shard, "g").State == "Empty", TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.UnknownMemberId, Heartbeat(shard, "g", 1, a.MemberId));
        // Generation 1 with the member, then generation 2 with nobody (Kafka writes the Empty group too).
        var records = GroupRecords(log, "g");
        Assert.Equal(2, records.Count);
        Assert.Equal(1, records[0]!.generation);
        Assert.Single(records[0]!.members);
        Assert.Equal(2, records[1]!.generation);
        Assert.Empty(records[1]!.members);
        Assert.Null(records[1]!.protocol);
    }

    [Fact]
    public void A_member_that_does_not_rejoin_is_dropped_at_the_rebalance_timeout()
    {
        var shard = StartShard(new MemoryOffsetsLog());
        var a = JoinDynamicAsync(shard, "g", rebalanceMs: 300).ExpectMsg<JoinResult>();
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 1 }));
        var b = JoinDynamicAsync(shard, "g", rebalanceMs: 300).ExpectMsg<JoinResult>(TimeSpan.FromSeconds(10));
        Assert.Equal(2, b.GenerationId);
        Assert.Equal(b.MemberId, b.Leader);
        Assert.Single(b.Members);
        Assert.Equal(ErrorCode.UnknownMemberId, Heartbeat(shard, "g", 2, a.MemberId));
    }

    [Fact]
    public void Initial_rebalance_delay_gathers_members_into_the_first_generation()
    {
        var shard = StartShard(new MemoryOffsetsLog(), Settings(initialDelayMs: 400));
        var a = JoinAsync(shard, JoinRequest("g"), version: 3);
        var b = JoinAsync(shard, JoinRequest("g"), version: 3);
        var ra = a.ExpectMsg<JoinResult>(TimeSpan.FromSeconds(10));
        var rb = b.ExpectMsg<JoinResult>(TimeSpan.FromSeconds(10));
        Assert.Equal((1, 1), (ra.GenerationId, rb.GenerationId));
        Assert.Equal(ra.Leader, rb.Leader);
    }

    [Fact]
    public void Static_member_restarting_takes_over_its_identity_without_a_rebalance()
    {
        var shard = StartShard(new MemoryOffsetsLog());
        var first = Join(shard, JoinRequest("g", instanceId: "i-1"));
        Sync(shard, "g", 1, first.MemberId, (first.MemberId, new byte[] { 9 }));
        var again = Join(shard, JoinRequest("g", instanceId: "i-1"));
        Assert.Equal(0, again.ErrorCode);
        Assert.Equal(1, again.GenerationId);
        Assert.NotEqual(first.MemberId, again.MemberId);
        Assert.Equal(new byte[] { 9 }, Sync(shard, "g", 1, again.MemberId).Assignment.ToArray());
        Assert.Equal(ErrorCode.FencedInstanceId, Heartbeat(shard, "g", 1, first.MemberId, "i-1"));
        Assert.Equal(ErrorCode.None, Heartbeat(shard, "g", 1, again.MemberId, "i-1"));
    }

    [Fact]
    public void Sync_answers_only_after_the_assignment_is_written_and_a_failed_write_rebalances()
    {
        var log = new MemoryOffsetsLog { Hold = true };
        var shard = StartShard(log);
        var a = JoinDynamicAsync(shard, "g").ExpectMsg<JoinResult>();
        var sync = SyncAsync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 1 }));
        AwaitCondition(() => log.HeldCount == 1);
        sync.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        log.FailWith = ErrorCode.NotLeaderOrFollower;
        log.Release();
        Assert.Equal((short)ErrorCode.NotCoordinator, sync.ExpectMsg<SyncResult>().ErrorCode);
        Assert.Equal("PreparingRebalance", Describe(shard, "g").State);
    }

    [Fact]
    public void Unloading_answers_waiters_and_later_requests_with_not_coordinator()
    {
        var shard = StartShard(new MemoryOffsetsLog());
        var a = JoinDynamicAsync(shard, "g").ExpectMsg<JoinResult>();
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 1 }));
        var waiting = JoinDynamicAsync(shard, "g");
        shard.Tell(UnloadShard.Instance);
        Assert.Equal((short)ErrorCode.NotCoordinator, waiting.ExpectMsg<JoinResult>().ErrorCode);
        Assert.Equal(ErrorCode.NotCoordinator, Heartbeat(shard, "g", 1, a.MemberId));
    }

    [Fact]
    public async Task Region_routes_by_partition_and_answers_not_coordinator_for_unloaded_partitions()
    {
        var coordinator = new GroupCoordinator(Sys, Settings(), 2);
        var probe = CreateTestProbe();
        var group = Enumerable.Range(0, 100).Select(i => $"g{i}").First(g => GroupCoordinator.PartitionFor(g, 2) == 1);
        coordinator.Send(new Heartbeat(new HeartbeatRequest { GroupId = group, MemberId = "m" }, e => probe.Ref.Tell(e)));
        Assert.Equal(ErrorCode.NotCoordinator, probe.ExpectMsg<ErrorCode>());
        coordinator.Load(new MemoryOffsetsLog(1));
        await coordinator.WhenLoadedAsync(TimeSpan.FromSeconds(30));
        coordinator.Send(new Heartbeat(new HeartbeatRequest { GroupId = group, MemberId = "m" }, e => probe.Ref.Tell(e)));
        Assert.Equal(ErrorCode.UnknownMemberId, probe.ExpectMsg<ErrorCode>());
        coordinator.Unload(1);
        Assert.False(coordinator.IsLoaded(1));
        coordinator.Send(new Heartbeat(new HeartbeatRequest { GroupId = group, MemberId = "m" }, e => probe.Ref.Tell(e)));
        Assert.Equal(ErrorCode.NotCoordinator, probe.ExpectMsg<ErrorCode>());
    }
}
