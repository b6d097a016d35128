using Broker.Actors.Group;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group;

/// <summary>
/// A static member (group.instance.id) restarted within its session timeout rejoins a stable group
/// with an empty member id and new metadata (it owns nothing yet): as in Kafka, it takes its old
/// place without a rebalance unless the selected protocol would change, and the answer names the
/// leader as it was, so a restarted leader computes no assignment.
/// </summary>
public sealed class StaticMemberRejoinTests
{
    private static JoinGroupRequest Join(string memberId, string instanceId, byte metadata) => new()
    {
        GroupId = "g",
        MemberId = memberId,
        GroupInstanceId = instanceId,
        SessionTimeoutMs = 6000,
        RebalanceTimeoutMs = 6000,
        ProtocolType = "consumer",
        Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = new[] { metadata } }],
    };

    private static SyncResult Sync(GroupCoordinator c, int generation, string memberId, params (string Member, byte Partition)[] assignments)
    {
        SyncResult? result = null;
        c.Sync(new SyncGroupRequest
        {
            GroupId = "g", GenerationId = generation, MemberId = memberId,
            Assignments = [.. assignments.Select(a => new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = a.Member, Assignment = new[] { a.Partition } })],
        }, r => result = r);
        Assert.NotNull(result);
        return result;
    }

    [Fact]
    public void Restarted_static_leader_takes_its_place_without_a_rebalance()
    {
        using var c = new GroupCoordinator(new GroupCoordinatorSettings(6000, 1_800_000, 0, 1000, 50));
        JoinResult? a = null, b = null;
        c.Join(Join("", "a", 1), 5, "client", "/127.0.0.1", r => a = r);
        Assert.Equal(1, a!.GenerationId);
        Sync(c, 1, a.MemberId, (a.MemberId, 1));
        c.Join(Join("", "b", 1), 5, "client", "/127.0.0.1", r => b = r);
        Assert.Null(b); // waits for the leader to rejoin
        c.Join(Join(a.MemberId, "a", 1), 5, "client", "/127.0.0.1", r => a = r);
        Assert.NotNull(b);
        Assert.Equal(2, a.GenerationId);
        Assert.Equal(a.MemberId, a.Leader);
        var bSync = (SyncResult?)null;
        c.Sync(new SyncGroupRequest { GroupId = "g", GenerationId = 2, MemberId = b.MemberId }, r => bSync = r);
        Sync(c, 2, a.MemberId, (a.MemberId, 1), (b.MemberId, 2));
        Assert.Equal(new byte[] { 2 }, bSync!.Assignment.ToArray());

        // The leader's process restarts: empty member id, same instance id, different metadata.
        JoinResult? again = null;
        c.Join(Join("", "a", 9), 5, "client", "/127.0.0.1", r => again = r);
        Assert.NotNull(again);
        Assert.Equal(0, again.ErrorCode);
        Assert.Equal(2, again.GenerationId);
        Assert.NotEqual(a.MemberId, again.MemberId);
        Assert.Equal(a.MemberId, again.Leader);
        Assert.Empty(again.Members);
        Assert.Equal(ErrorCode.None, c.Heartbeat(new HeartbeatRequest { GroupId = "g", GenerationId = 2, MemberId = b.MemberId }));
        Assert.Equal(new byte[] { 1 }, Sync(c, 2, again.MemberId).Assignment.ToArray());
        // The old process's id is fenced.
        Assert.Equal(ErrorCode.FencedInstanceId, c.Heartbeat(new HeartbeatRequest { GroupId = "g", GenerationId = 2, MemberId = a.MemberId, GroupInstanceId = "a" }));
    }
}
