using Broker.Actors.Group;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group;

/// <summary>
/// What DescribeGroups reports of a member that joined through the member-id-required flow (v4+):
/// the client id and host of its connection, and its protocol metadata as it sent it, even after
/// the request's pooled frame was reused.
/// </summary>
public sealed class GroupMemberDescriptionTests : ShardTestBase
{
    [Fact]
    public void Described_member_keeps_its_client_and_metadata_after_the_frame_is_reused()
    {
        var shard = StartShard(new MemoryOffsetsLog());
        var frame = new byte[] { 0, 1, 2, 3 };
        JoinGroupRequest Request(string memberId) => new()
        {
            GroupId = "g", MemberId = memberId, SessionTimeoutMs = 6000, RebalanceTimeoutMs = 6000, ProtocolType = "consumer",
            Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = frame.AsMemory(1, 2) }],
        };
        JoinResult JoinAs(string memberId)
        {
            var probe = CreateTestProbe();
            shard.Tell(new JoinGroup(Request(memberId), 5, "client-7", "/127.0.0.1", r => probe.Ref.Tell(r)));
            return probe.ExpectMsg<JoinResult>();
        }
        var first = JoinAs("");
        Assert.Equal((short)ErrorCode.MemberIdRequired, first.ErrorCode);
        var joined = JoinAs(first.MemberId);
        Assert.Equal(0, joined.ErrorCode);
        Sync(shard, "g", joined.GenerationId, joined.MemberId, (joined.MemberId, [9]));
        Array.Fill(frame, (byte)0xEE); // the pool hands the frame to another request

        var d = Describe(shard, "g");
        Assert.Equal("Stable", d.State);
        var m = Assert.Single(d.Members);
        Assert.Equal(("client-7", "/127.0.0.1"), (m.ClientId, m.ClientHost));
        Assert.Equal(new byte[] { 1, 2 }, m.Metadata.ToArray());
        Assert.Equal(new byte[] { 9 }, m.Assignment.ToArray());
    }
}
