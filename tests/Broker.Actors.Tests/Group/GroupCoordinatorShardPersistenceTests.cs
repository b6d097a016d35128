using Broker.Actors.Group;
using Broker.Actors.Kernel;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group;

/// <summary>
/// The shard as an event-sourced actor: what it writes to __consumer_offsets (Kafka's GroupMetadata
/// and OffsetCommit records), and a new shard over the same partition (a restart) rebuilding groups,
/// members, assignments and offsets from them.
/// </summary>
public sealed class GroupCoordinatorShardPersistenceTests : ShardTestBase
{
    private void Restart(ref ActorRef shard, MemoryOffsetsLog log)
    {
        Watch(shard);
        Sys.Stop(shard);
        ExpectTerminated(shard);
        shard = StartShard(log);
    }

    [Fact]
    public void Completed_generation_is_written_as_group_metadata_v3_with_members_and_assignments()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartShard(log);
        var a = JoinDynamicAsync(shard, "g").ExpectMsg<JoinResult>();
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 0, 1, 2 }));
        var record = log.Records.Single(r => OffsetsTopicRecords.KeyVersion(r.Key) == 2);
        Assert.Equal(3, (record.Value![0] << 8) | record.Value[1]);
        var value = GroupRecords(log, "g").Single()!;
        Assert.Equal(("consumer", 1, "range", a.MemberId), (value.protocolType, value.generation, value.protocol, value.leader));
        var member = value.members.Single();
        Assert.Equal(a.MemberId, member.memberId);
        Assert.Equal(("client", "/127.0.0.1", 6000, 6000), (member.clientId, member.clientHost, member.sessionTimeout, member.rebalanceTimeout));
        Assert.Equal(new byte[] { 0, 1, 2 }, member.assignment.ToArray());
        Assert.Equal(Subscription("t1"), member.subscription.ToArray());
        Assert.True(value.currentStateTimestamp > 0);
    }

    [Fact]
    public void After_a_restart_a_member_heartbeats_and_commits_with_its_old_id_and_generation()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartShard(log);
        var a = JoinDynamicAsync(shard, "g").ExpectMsg<JoinResult>();
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 5 }));
        Assert.Equal(ErrorCode.None, Commit(shard, "g", 1, a.MemberId, ("t1", 0, 42), ("t1", 1, 7)));

        Restart(ref shard, log);

        Assert.Equal(ErrorCode.None, Heartbeat(shard, "g", 1, a.MemberId));
        Assert.Equal(ErrorCode.None, Commit(shard, "g", 1, a.MemberId, ("t1", 0, 43)));
        Assert.Equal(43, FetchOne(shard, "g", "t1", 0));
        Assert.Equal(7, FetchOne(shard, "g", "t1", 1));
        var d = Describe(shard, "g");
        Assert.Equal(("Stable", "consumer", "range"), (d.State, d.ProtocolType, d.Protocol));
        Assert.Equal(new byte[] { 5 }, d.Members.Single().Assignment.ToArray());
        Assert.Equal(new byte[] { 5 }, Sync(shard, "g", 1, a.MemberId).Assignment.ToArray());
    }

    [Fact]
    public void After_a_restart_a_static_member_gets_its_assignment_back_without_a_rebalance()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartShard(log);
        var first = Join(shard, JoinRequest("g", instanceId: "i-1"));
        var other = Join(shard, JoinRequest("h", instanceId: "i-9"));
        Sync(shard, "g", 1, first.MemberId, (first.MemberId, new byte[] { 3, 3 }));
        Sync(shard, "h", 1, other.MemberId, (other.MemberId, new byte[] { 4 }));

        Restart(ref shard, log);

        var again = Join(shard, JoinRequest("g", instanceId: "i-1"));
        Assert.Equal(0, again.ErrorCode);
        Assert.Equal(1, again.GenerationId);
        Assert.Equal(new byte[] { 3, 3 }, Sync(shard, "g", 1, again.MemberId).Assignment.ToArray());
        Assert.Equal("Stable", Describe(shard, "g").State);
        // The takeover is persisted too: after another restart the new member id is the one known.
        Restart(ref shard, log);
        Assert.Equal(ErrorCode.None, Heartbeat(shard, "g", 1, again.MemberId, "i-1"));
        Assert.Equal(ErrorCode.FencedInstanceId, Heartbeat(shard, "g", 1, first.MemberId, "i-1"));
    }

    [Fact]
    public void Deleted_groups_and_offsets_stay_deleted_after_a_restart()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartShard(log);
        var a = JoinDynamicAsync(shard, "g").ExpectMsg<JoinResult>();
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 1 }));
        Commit(shard, "g", 1, a.MemberId, ("t1", 0, 5));
        Leave(shard, "g", (a.MemberId, null));
        Assert.Equal(ErrorCode.None, DeleteGroup(shard, "g"));
        Assert.Null(GroupRecords(log, "g").Last());
        Assert.Contains(log.Records, r => OffsetsTopicRecords.KeyVersion(r.Key) == 1 && r.Value is null);

        Restart(ref shard, log);

        Assert.Equal("Dead", Describe(shard, "g").State);
        Assert.Equal(-1, FetchOne(shard, "g", "t1", 0));
        Assert.Empty(Fetch(shard, "g").Offsets);
    }

    [Fact]
    public void Replay_keeps_the_latest_value_and_a_tombstone_deletes()
    {
        var log = new MemoryOffsetsLog();
        log.Seed(OffsetsTopicRecords.OffsetCommitKeyBytes("g", "t", 0), OffsetsTopicRecords.OffsetCommitValueBytes(new CommittedOffset(1, -1, string.Empty, 0)));
        log.Seed(OffsetsTopicRecords.OffsetCommitKeyBytes("g", "t", 0), OffsetsTopicRecords.OffsetCommitValueBytes(new CommittedOffset(9, -1, string.Empty, 0)));
        log.Seed(OffsetsTopicRecords.OffsetCommitKeyBytes("g", "t", 1), OffsetsTopicRecords.OffsetCommitValueBytes(new CommittedOffset(3, -1, string.Empty, 0)));
        log.Seed(OffsetsTopicRecords.OffsetCommitKeyBytes("g", "t", 1), null);
        // A KIP-848 record (key version 3) is skipped by the classic replay, not fatal.
        log.Seed(Convert.FromHexString("0003" + "0001" + "67"), Convert.FromHexString("0000"));
        var shard = StartShard(log);
        var offsets = Fetch(shard, "g").Offsets;
        Assert.Equal([("t", 0, 9L)], offsets.Select(o => (o.Topic, o.Partition, o.Offset!.Value.Offset)).ToList());
        Assert.Equal("Empty", Describe(shard, "g").State);
    }
}
