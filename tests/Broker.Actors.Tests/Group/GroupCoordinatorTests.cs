using Broker.Actors.Group;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group;

/// <summary>The classic coordinator's error answers and the two-step (member id required) join.</summary>
public sealed class GroupCoordinatorTests
{
    private static GroupCoordinator NewCoordinator() => new(new GroupCoordinatorSettings(6000, 1_800_000, 0, 1000, 50));

    private static JoinGroupRequest Join(string group, string memberId = "") => new()
    {
        GroupId = group,
        MemberId = memberId,
        SessionTimeoutMs = 6000,
        RebalanceTimeoutMs = 6000,
        ProtocolType = "consumer",
        Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = new byte[] { 1 } }],
    };

    private static JoinResult JoinNow(GroupCoordinator c, JoinGroupRequest request, short version = 5)
    {
        JoinResult? result = null;
        c.Join(request, version, "client", "/127.0.0.1", r => result = r);
        Assert.NotNull(result);
        return result;
    }

    [Fact]
    public void Partition_follows_java_string_hash()
    {
        // "group-1".hashCode() == 293427299 in Java (31*h + c over UTF-16 units).
        Assert.Equal(293427299 % 50, GroupCoordinator.PartitionFor("group-1", 50));
    }

    [Fact]
    public void Empty_group_id_is_invalid_and_bad_session_timeout_rejected()
    {
        using var c = NewCoordinator();
        Assert.Equal((short)ErrorCode.InvalidGroupId, JoinNow(c, Join("")).ErrorCode);
        var tooShort = Join("g");
        tooShort.SessionTimeoutMs = 10;
        Assert.Equal((short)ErrorCode.InvalidSessionTimeout, JoinNow(c, tooShort).ErrorCode);
    }

    [Fact]
    public void Member_id_required_then_join_sync_heartbeat_commit_checks()
    {
        using var c = NewCoordinator();
        var first = JoinNow(c, Join("g"));
        Assert.Equal((short)ErrorCode.MemberIdRequired, first.ErrorCode);
        var joined = JoinNow(c, Join("g", first.MemberId));
        Assert.Equal(0, joined.ErrorCode);
        Assert.Equal(1, joined.GenerationId);
        Assert.Equal(joined.MemberId, joined.Leader);
        Assert.Single(joined.Members);
        Assert.Equal("range", joined.ProtocolName);

        SyncResult? sync = null;
        c.Sync(new SyncGroupRequest { GroupId = "g", GenerationId = 1, MemberId = joined.MemberId,
            Assignments = [new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = joined.MemberId, Assignment = new byte[] { 7 } }] }, r => sync = r);
        Assert.NotNull(sync);
        Assert.Equal(0, sync.ErrorCode);
        Assert.Equal(new byte[] { 7 }, sync.Assignment.ToArray());

        Assert.Equal(ErrorCode.None, c.Heartbeat(new HeartbeatRequest { GroupId = "g", GenerationId = 1, MemberId = joined.MemberId }));
        Assert.Equal(ErrorCode.UnknownMemberId, c.Heartbeat(new HeartbeatRequest { GroupId = "g", GenerationId = 1, MemberId = "nobody" }));
        Assert.Equal(ErrorCode.IllegalGeneration, c.Heartbeat(new HeartbeatRequest { GroupId = "g", GenerationId = 7, MemberId = joined.MemberId }));
        Assert.Equal(ErrorCode.IllegalGeneration, c.ValidateCommit("g", 7, joined.MemberId, null));
        Assert.Equal(ErrorCode.UnknownMemberId, c.ValidateCommit("g", 1, "nobody", null));
        Assert.Equal(ErrorCode.None, c.ValidateCommit("g", 1, joined.MemberId, null));
        Assert.Equal(ErrorCode.NonEmptyGroup, c.DeleteGroup("g"));

        var (error, members) = c.Leave("g", [(joined.MemberId, null)]);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(ErrorCode.None, members.Single().Error);
        // Empty now: a simple (generation -1) commit is allowed and the group can be deleted.
        Assert.Equal(ErrorCode.None, c.ValidateCommit("g", -1, string.Empty, null));
        Assert.Equal(ErrorCode.None, c.DeleteGroup("g"));
        Assert.Equal(ErrorCode.IllegalGeneration, c.ValidateCommit("g", 3, "x", null));
    }
}
