using Broker.Actors.Group;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group;

/// <summary>Offset retention (KIP-211), OffsetDelete's rules, DeleteGroups and ListGroups filters.</summary>
public sealed class GroupCoordinatorShardOffsetsTests : ShardTestBase
{
    private static GroupCoordinatorSettings Retention(long retentionMs) =>
        Settings() with { OffsetsRetentionMs = retentionMs, OffsetsRetentionCheckIntervalMs = 50 };

    [Fact]
    public void Offsets_of_a_group_that_never_had_members_expire_from_their_commit_and_the_group_goes()
    {
        var log = new MemoryOffsetsLog();
        var retention = TimeSpan.FromMilliseconds(1500);
        var shard = StartShard(log, Retention((long)retention.TotalMilliseconds));
        var committedBefore = DateTime.UtcNow;
        Assert.Equal(ErrorCode.None, Commit(shard, "simple", -1, string.Empty, ("t1", 0, 10)));
        var fetched = FetchOne(shard, "simple", "t1", 0);
        // A loaded machine may take longer than the retention to get here; only then may it be gone.
        if (DateTime.UtcNow - committedBefore < retention)
        {
            Assert.Equal(10, fetched);
        }
        AwaitCondition(() => FetchOne(shard, "simple", "t1", 0) == -1, TimeSpan.FromSeconds(20));
        Assert.True(DateTime.UtcNow - committedBefore >= retention, "offsets expire no sooner than the retention after their commit");
        Assert.Equal("Dead", Describe(shard, "simple").State);
        Assert.Contains(log.Records, r => OffsetsTopicRecords.KeyVersion(r.Key) == 1 && r.Value is null);
        Assert.Null(GroupRecords(log, "simple").Last());
    }

    [Fact]
    public void Offsets_of_a_group_with_members_are_kept_and_expire_after_it_became_empty()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartShard(log, Retention(400));
        var a = JoinDynamicAsync(shard, "g").ExpectMsg<JoinResult>();
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 1 }));
        Commit(shard, "g", 1, a.MemberId, ("t1", 0, 10));
        // Older than the retention, but the group is Stable and subscribed to t1: kept.
        Thread.Sleep(600);
        Assert.Equal(ErrorCode.None, Heartbeat(shard, "g", 1, a.MemberId));
        Assert.Equal(10, FetchOne(shard, "g", "t1", 0));
        Leave(shard, "g", (a.MemberId, null));
        var emptyAt = DateTime.UtcNow;
        AwaitCondition(() => FetchOne(shard, "g", "t1", 0) == -1, TimeSpan.FromSeconds(10));
        Assert.True(DateTime.UtcNow - emptyAt >= TimeSpan.FromMilliseconds(350), "offsets expire counting from when the group became empty");
        Assert.Equal("Dead", Describe(shard, "g").State);
    }

    [Fact]
    public void Offset_delete_refuses_subscribed_topics_of_a_live_consumer_group()
    {
        var log = new MemoryOffsetsLog();
        var shard = StartShard(log);
        var a = JoinDynamicAsync(shard, "g", metadata: Subscription("t1")).ExpectMsg<JoinResult>();
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, new byte[] { 1 }));
        Commit(shard, "g", 1, a.MemberId, ("t1", 0, 10), ("t2", 0, 20));
        var result = Ask<DeleteOffsetsResult>(shard, done => new DeleteOffsets("g", [("t1", 0), ("t2", 0)], done));
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal([("t1", 0, ErrorCode.GroupSubscribedToTopic), ("t2", 0, ErrorCode.None)], result.Partitions);
        Assert.Equal(10, FetchOne(shard, "g", "t1", 0));
        Assert.Equal(-1, FetchOne(shard, "g", "t2", 0));
        Assert.Contains(log.Records, r => OffsetsTopicRecords.KeyVersion(r.Key) == 1 && r.Value is null
            && OffsetsTopicRecords.ReadOffsetCommitKey(r.Key)!.topic == "t2");
        Assert.Equal(ErrorCode.GroupIdNotFound, Ask<DeleteOffsetsResult>(shard, done => new DeleteOffsets("nope", [("t1", 0)], done)).Error);

        // A group of another protocol type with members: NON_EMPTY_GROUP; once empty, anything goes.
        var c = JoinDynamicAsync(shard, "connect", metadata: [1, 2, 3], protocolType: "connect");
        var joined = c.ExpectMsg<JoinResult>();
        Assert.Equal(0, joined.ErrorCode);
        Sync(shard, "connect", 1, joined.MemberId, (joined.MemberId, new byte[] { 1 }));
        Assert.Equal(ErrorCode.NonEmptyGroup, Ask<DeleteOffsetsResult>(shard, done => new DeleteOffsets("connect", [("t1", 0)], done)).Error);
        Leave(shard, "g", (a.MemberId, null));
        var empty = Ask<DeleteOffsetsResult>(shard, done => new DeleteOffsets("g", [("t1", 0)], done));
        Assert.Equal(ErrorCode.None, empty.Partitions.Single().Error);
        Assert.Equal(-1, FetchOne(shard, "g", "t1", 0));
    }

    [Fact]
    public void List_groups_filters_by_state_and_type()
    {
        var shard = StartShard(new MemoryOffsetsLog());
        var a = JoinDynamicAsync(shard, "stable", sessionMs: 60_000, rebalanceMs: 60_000).ExpectMsg<JoinResult>();
        Sync(shard, "stable", 1, a.MemberId, (a.MemberId, new byte[] { 1 }));
        Commit(shard, "empty", -1, string.Empty, ("t1", 0, 1));
        IReadOnlyList<ListedGroup> List(string[] states, string[] types) =>
            Ask<ListGroupsResult>(shard, done => new ListGroups(states, types, done)).Groups.OrderBy(g => g.GroupId).ToList();
        Assert.Equal(["empty", "stable"], List([], []).Select(g => g.GroupId));
        Assert.Equal(new ListedGroup("stable", "consumer", "Stable", "classic"), List(["stable"], []).Single());
        Assert.Equal(new ListedGroup("empty", "", "Empty", "classic"), List(["Empty"], ["classic"]).Single());
        Assert.Empty(List([], ["consumer"]));
    }
}
