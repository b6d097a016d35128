using Broker.Actors.Group;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group;

/// <summary>
/// A static member (group.instance.id) restarted within its session timeout rejoins a stable group
/// with an empty member id and new metadata (it owns nothing yet): as in Kafka, it takes its old
/// place without a rebalance unless the selected protocol would change, and the answer names the
/// leader as it was, so a restarted leader computes no assignment.
/// </summary>
public sealed class StaticMemberRejoinTests : ShardTestBase
{
    [Fact]
    public void Restarted_static_leader_takes_its_place_without_a_rebalance()
    {
        var shard = StartShard(new MemoryOffsetsLog());
        var a = Join(shard, JoinRequest("g", instanceId: "a", metadata: [1]));
        Assert.Equal(1, a.GenerationId);
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, [1]));
        var bProbe = JoinAsync(shard, JoinRequest("g", instanceId: "b", metadata: [1]));
        bProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // waits for the leader to rejoin
        a = Join(shard, JoinRequest("g", a.MemberId, instanceId: "a", metadata: [1]));
        var b = bProbe.ExpectMsg<JoinResult>();
        Assert.Equal(2, a.GenerationId);
        Assert.Equal(a.MemberId, a.Leader);
        var bSync = SyncAsync(shard, "g", 2, b.MemberId);
        Sync(shard, "g", 2, a.MemberId, (a.MemberId, [1]), (b.MemberId, [2]));
        Assert.Equal(new byte[] { 2 }, bSync.ExpectMsg<SyncResult>().Assignment.ToArray());

        // The leader's process restarts: empty member id, same instance id, different metadata.
        var again = Join(shard, JoinRequest("g", instanceId: "a", metadata: [9]));
        Assert.Equal(0, again.ErrorCode);
        Assert.Equal(2, again.GenerationId);
        Assert.NotEqual(a.MemberId, again.MemberId);
        Assert.Equal(a.MemberId, again.Leader);
        Assert.Empty(again.Members);
        Assert.Equal(ErrorCode.None, Heartbeat(shard, "g", 2, b.MemberId));
        Assert.Equal(new byte[] { 1 }, Sync(shard, "g", 2, again.MemberId).Assignment.ToArray());
        // The old process's id is fenced.
        Assert.Equal(ErrorCode.FencedInstanceId, Heartbeat(shard, "g", 2, a.MemberId, "a"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void From_v9_a_restarted_static_leader_is_told_it_leads_and_to_skip_the_assignment(bool leader)
    {
        var shard = StartShard(new MemoryOffsetsLog());
        var a = Join(shard, JoinRequest("g", instanceId: "a", metadata: [1]), version: 9);
        Sync(shard, "g", 1, a.MemberId, (a.MemberId, [1]));
        var bProbe = JoinAsync(shard, JoinRequest("g", instanceId: "b", metadata: [1]), version: 9);
        a = Join(shard, JoinRequest("g", a.MemberId, instanceId: "a", metadata: [1]), version: 9);
        var b = bProbe.ExpectMsg<JoinResult>();
        Assert.Equal(a.MemberId, a.Leader);
        var bSync = SyncAsync(shard, "g", 2, b.MemberId);
        Sync(shard, "g", 2, a.MemberId, (a.MemberId, [1]), (b.MemberId, [2]));
        bSync.ExpectMsg<SyncResult>();

        var again = Join(shard, JoinRequest("g", instanceId: leader ? "a" : "b", metadata: [9]), version: 9);
        Assert.Equal((0, 2), (again.ErrorCode, again.GenerationId));
        if (leader)
        {
            Assert.True(again.SkipAssignment);
            Assert.Equal(again.MemberId, again.Leader);
            Assert.Equal(2, again.Members.Count);
            Assert.Equal(new byte[] { 1 }, Sync(shard, "g", 2, again.MemberId).Assignment.ToArray());
        }
        else
        {
            Assert.False(again.SkipAssignment);
            Assert.Equal(a.MemberId, again.Leader);
            Assert.Empty(again.Members);
            Assert.Equal(new byte[] { 2 }, Sync(shard, "g", 2, again.MemberId).Assignment.ToArray());
        }
        Assert.Equal(ErrorCode.None, Heartbeat(shard, "g", 2, leader ? b.MemberId : a.MemberId));
    }
}
