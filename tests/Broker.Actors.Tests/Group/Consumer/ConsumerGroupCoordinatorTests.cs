using Broker.Actors.Group.Consumer;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group.Consumer;

/// <summary>The KIP-848 state machine: join, converge, revocation before reassignment, leave, timeouts, static members, epochs.</summary>
public sealed class ConsumerGroupCoordinatorTests
{
    private const string Group = "g";
    private readonly FakeTopics _topics = new();
    private readonly ConsumerGroupCoordinator _c;
    private int _ids;

    public ConsumerGroupCoordinatorTests()
    {
        _topics.Add("orders", 6);
        _c = new ConsumerGroupCoordinator(ConsumerGroupConfig.Default, newMemberId: () => $"member-{++_ids}");
    }

    /// <summary>Heartbeats every member in turn until none changes, checking after every step that no partition has two owners.</summary>
    private void Converge(IList<SimMember> members, long now, int maxRounds = 20)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            var before = members.Select(m => (m.Epoch, m.Owned)).ToList();
            foreach (var m in members)
            {
                m.Heartbeat(_c, now, _topics);
                Assert.Equal(0, m.Last!.ErrorCode);
                AssertNoSharedPartitions(members);
            }
            if (members.Select(m => (m.Epoch, m.Owned)).SequenceEqual(before) && _c.Group(Group)!.State == ConsumerGroupState.Stable)
            {
                return;
            }
        }
        Assert.Fail($"no convergence: state {_c.Group(Group)!.State}");
    }

    private static void AssertNoSharedPartitions(IEnumerable<SimMember> members)
    {
        var all = members.SelectMany(m => m.Owned.All()).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void First_member_joins_gets_an_id_and_every_partition()
    {
        var m = new SimMember(Group, ["orders"]);
        var r = m.Heartbeat(_c, 0, _topics);
        Assert.Equal(0, r.ErrorCode);
        Assert.Equal("member-1", r.MemberId);
        Assert.Equal(1, r.MemberEpoch);
        Assert.Equal(5000, r.HeartbeatIntervalMs);
        Assert.Equal(6, m.Owned.Count);
        var g = _c.Group(Group)!;
        Assert.Equal(ConsumerGroupState.Stable, g.State);
        Assert.Equal(1, g.GroupEpoch);
        Assert.Equal(1, g.AssignmentEpoch);
        // Kafka's record order for a join: member, subscription metadata, epoch, target, target epoch, current assignment.
        Assert.Equal(new short[] { 5, 4, 3, 7, 6, 8 }, m.Records.Select(x => x.KeyVersion).ToArray());
    }

    [Fact]
    public void Three_members_converge_without_a_partition_ever_owned_twice()
    {
        var members = new List<SimMember> { new(Group, ["orders"]) };
        Converge(members, 0);
        members.Add(new SimMember(Group, ["orders"]));
        members.Add(new SimMember(Group, ["orders"]));
        Converge(members, 0);
        Assert.All(members, m => Assert.Equal(2, m.Owned.Count));
        var g = _c.Group(Group)!;
        Assert.All(members, m => Assert.Equal(g.AssignmentEpoch, m.Epoch));
    }

    [Fact]
    public void A_partition_moves_only_after_its_owner_revoked_it()
    {
        var a = new SimMember(Group, ["orders"]);
        a.Heartbeat(_c, 0, _topics);
        var b = new SimMember(Group, ["orders"]);
        var rb = b.Heartbeat(_c, 0, _topics);
        // b joins at the new epoch but gets nothing yet: a still owns all six.
        Assert.Equal(2, rb.MemberEpoch);
        Assert.True(b.Owned.IsEmpty);
        Assert.Equal(MemberState.UnreleasedPartitions, _c.Group(Group)!.Member(b.MemberId)!.State);
        Assert.Equal(ConsumerGroupState.Reconciling, _c.Group(Group)!.State);

        // a is told to keep three (same epoch: revoke first).
        var ra = a.Heartbeat(_c, 0, _topics);
        Assert.Equal(1, ra.MemberEpoch);
        Assert.Equal(3, a.Owned.Count);
        Assert.Equal(MemberState.UnrevokedPartitions, _c.Group(Group)!.Member(a.MemberId)!.State);

        // a reports the revocation and moves to epoch 2; then b gets the three freed partitions.
        ra = a.Heartbeat(_c, 0, _topics);
        Assert.Equal(2, ra.MemberEpoch);
        b.Heartbeat(_c, 0, _topics);
        Assert.Equal(3, b.Owned.Count);
        AssertNoSharedPartitions([a, b]);
        Assert.Equal(ConsumerGroupState.Stable, _c.Group(Group)!.State);
    }

    [Fact]
    public void A_member_that_does_not_report_its_revocation_keeps_the_partitions_unreleased()
    {
        var a = new SimMember(Group, ["orders"]);
        a.Heartbeat(_c, 0, _topics);
        var b = new SimMember(Group, ["orders"]);
        b.Heartbeat(_c, 0, _topics);
        // a heartbeats without its owned partitions (null: unchanged), so the coordinator cannot assume it revoked.
        var request = a.Request();
        request.TopicPartitions = null;
        a.Heartbeat(_c, 0, _topics, request);
        a.Heartbeat(_c, 0, _topics, request);
        Assert.Equal(MemberState.UnrevokedPartitions, _c.Group(Group)!.Member(a.MemberId)!.State);
        b.Heartbeat(_c, 0, _topics);
        Assert.True(b.Owned.IsEmpty);
    }

    [Fact]
    public void Rebalance_timeout_fences_a_member_that_never_revokes()
    {
        var a = new SimMember(Group, ["orders"]);
        a.Heartbeat(_c, 0, _topics);
        var b = new SimMember(Group, ["orders"]);
        b.Heartbeat(_c, 0, _topics);
        var request = a.Request();
        request.TopicPartitions = null;
        a.Heartbeat(_c, 1000, _topics, request);
        b.Heartbeat(_c, 20000, _topics);
        Assert.Empty(_c.Tick(30999, _topics));
        var fenced = _c.Tick(31000, _topics);
        Assert.NotEmpty(fenced);
        Assert.Null(_c.Group(Group)!.Member(a.MemberId));
        b.Heartbeat(_c, 31000, _topics);
        Assert.Equal(6, b.Owned.Count);
        Assert.Equal(ErrorCode.UnknownMemberId, (ErrorCode)a.Heartbeat(_c, 31001, _topics).ErrorCode);
    }

    [Fact]
    public void Leave_gives_the_partitions_to_the_others()
    {
        var members = new List<SimMember> { new(Group, ["orders"]), new(Group, ["orders"]), new(Group, ["orders"]) };
        Converge(members, 0);
        var epoch = _c.Group(Group)!.GroupEpoch;
        var r = members[1].Leave(_c, 0, _topics);
        Assert.Equal(0, r.ErrorCode);
        Assert.Equal(-1, r.MemberEpoch);
        Assert.Equal(epoch + 1, _c.Group(Group)!.GroupEpoch);
        members.RemoveAt(1);
        Converge(members, 0);
        Assert.All(members, m => Assert.Equal(3, m.Owned.Count));
    }

    [Fact]
    public void Session_timeout_fences_a_silent_member()
    {
        var members = new List<SimMember> { new(Group, ["orders"]), new(Group, ["orders"]) };
        Converge(members, 0);
        members[0].Heartbeat(_c, 40000, _topics);
        Assert.Empty(_c.Tick(44999, _topics));
        var records = _c.Tick(45000, _topics);
        // The silent one goes: three tombstones and an epoch bump.
        Assert.Equal(new short[] { 8, 7, 5, 3 }, records.Select(r => r.KeyVersion).ToArray());
        Assert.Null(records[0].Value);
        Assert.Single(_c.Group(Group)!.Members);
        Converge([members[0]], 45000);
        Assert.Equal(6, members[0].Owned.Count);
        Assert.Equal(ErrorCode.UnknownMemberId, (ErrorCode)members[1].Heartbeat(_c, 45001, _topics).ErrorCode);
    }

    [Fact]
    public void Static_member_rejoins_after_a_temporary_leave_and_gets_its_partitions_back()
    {
        var s = new SimMember(Group, ["orders"], instanceId: "i-1");
        var d = new SimMember(Group, ["orders"]);
        Converge([s, d], 0);
        var mine = s.Owned;
        var groupEpoch = _c.Group(Group)!.GroupEpoch;

        var left = s.Leave(_c, 0, _topics, epoch: -2);
        Assert.Equal(-2, left.MemberEpoch);
        Assert.Equal(groupEpoch, _c.Group(Group)!.GroupEpoch);
        // Its partitions stay reserved: the other member does not get them.
        d.Heartbeat(_c, 0, _topics);
        Assert.Equal(3, d.Owned.Count);

        var again = new SimMember(Group, ["orders"], instanceId: "i-1");
        var r = again.Heartbeat(_c, 1000, _topics);
        Assert.Equal(0, r.ErrorCode);
        Assert.NotEqual(s.MemberId, again.MemberId);
        Assert.Equal(mine, again.Owned);
        Assert.Equal(groupEpoch, _c.Group(Group)!.GroupEpoch);
        Assert.Null(_c.Group(Group)!.Member(s.MemberId));
    }

    [Fact]
    public void Static_member_cannot_join_while_its_instance_id_is_in_use()
    {
        var s = new SimMember(Group, ["orders"], instanceId: "i-1");
        s.Heartbeat(_c, 0, _topics);
        var twin = new SimMember(Group, ["orders"], instanceId: "i-1");
        Assert.Equal(ErrorCode.UnreleasedInstanceId, (ErrorCode)twin.Heartbeat(_c, 0, _topics).ErrorCode);
        // Heartbeating another member's instance id is fenced.
        var request = s.Request();
        request.MemberId = "someone-else";
        Assert.Equal(ErrorCode.FencedInstanceId, (ErrorCode)_c.Heartbeat(request, "c", "h", 0, _topics).Response.ErrorCode);
    }

    [Fact]
    public void Stale_and_future_epochs_are_fenced_but_a_lost_response_is_forgiven()
    {
        var a = new SimMember(Group, ["orders"]);
        a.Heartbeat(_c, 0, _topics);
        var b = new SimMember(Group, ["orders"]);
        b.Heartbeat(_c, 0, _topics);
        a.Heartbeat(_c, 0, _topics);
        a.Heartbeat(_c, 0, _topics); // a now at epoch 2, previous 1, owns 3

        var ahead = a.Request();
        ahead.MemberEpoch = 7;
        Assert.Equal(ErrorCode.FencedMemberEpoch, (ErrorCode)_c.Heartbeat(ahead, "c", "h", 0, _topics).Response.ErrorCode);

        // The previous epoch with a subset of the assignment: the bumped response was lost; accepted.
        var previous = a.Request();
        previous.MemberEpoch = 1;
        var r = _c.Heartbeat(previous, "c", "h", 0, _topics).Response;
        Assert.Equal(0, r.ErrorCode);
        Assert.Equal(2, r.MemberEpoch);

        // The previous epoch while claiming a partition it was not given is fenced too.
        var claiming = a.Request();
        claiming.MemberEpoch = 1;
        var notMine = Enumerable.Range(0, 6).First(p => !a.Owned.Contains(_topics.ByName("orders")!.Id, p));
        claiming.TopicPartitions![0].Partitions.Add(notMine);
        Assert.Equal(ErrorCode.FencedMemberEpoch, (ErrorCode)_c.Heartbeat(claiming, "c", "h", 0, _topics).Response.ErrorCode);
    }

    [Theory]
    [InlineData("", "m", 1, ErrorCode.InvalidRequest)]
    [InlineData("g", "", 1, ErrorCode.InvalidRequest)]
    [InlineData("g", "m", -3, ErrorCode.InvalidRequest)]
    [InlineData("unknown-group", "m", 1, ErrorCode.GroupIdNotFound)]
    public void Bad_requests_get_kafkas_errors(string group, string memberId, int epoch, ErrorCode expected)
    {
        var request = new ConsumerGroupHeartbeatRequest { GroupId = group, MemberId = memberId, MemberEpoch = epoch, TopicPartitions = [] };
        Assert.Equal(expected, (ErrorCode)_c.Heartbeat(request, "c", "h", 0, _topics).Response.ErrorCode);
    }

    [Fact]
    public void Join_requires_rebalance_timeout_subscription_and_no_owned_partitions()
    {
        var request = new SimMember(Group, ["orders"]).Request();
        request.RebalanceTimeoutMs = -1;
        Assert.Equal(ErrorCode.InvalidRequest, (ErrorCode)_c.Heartbeat(request, "c", "h", 0, _topics).Response.ErrorCode);
        request = new SimMember(Group, ["orders"]).Request();
        request.SubscribedTopicNames = null;
        Assert.Equal(ErrorCode.InvalidRequest, (ErrorCode)_c.Heartbeat(request, "c", "h", 0, _topics).Response.ErrorCode);
        request = new SimMember(Group, ["orders"]).Request();
        request.ServerAssignor = "sticky";
        Assert.Equal(ErrorCode.UnsupportedAssignor, (ErrorCode)_c.Heartbeat(request, "c", "h", 0, _topics).Response.ErrorCode);
        Assert.Null(_c.Group(Group));
    }

    [Fact]
    public void Unknown_member_of_a_known_group()
    {
        new SimMember(Group, ["orders"]).Heartbeat(_c, 0, _topics);
        var request = new ConsumerGroupHeartbeatRequest { GroupId = Group, MemberId = "nobody", MemberEpoch = 1 };
        Assert.Equal(ErrorCode.UnknownMemberId, (ErrorCode)_c.Heartbeat(request, "c", "h", 0, _topics).Response.ErrorCode);
    }

    [Fact]
    public void Group_max_size_refuses_the_next_member()
    {
        var c = new ConsumerGroupCoordinator(ConsumerGroupConfig.Default with { MaxSize = 2 });
        new SimMember(Group, ["orders"]).Heartbeat(c, 0, _topics);
        new SimMember(Group, ["orders"]).Heartbeat(c, 0, _topics);
        Assert.Equal(ErrorCode.GroupMaxSizeReached, (ErrorCode)new SimMember(Group, ["orders"]).Heartbeat(c, 0, _topics).ErrorCode);
    }

    [Fact]
    public void A_classic_group_in_use_is_not_a_consumer_group()
    {
        var c = new ConsumerGroupCoordinator(ConsumerGroupConfig.Default, classicGroupInUse: id => id == Group);
        var r = new SimMember(Group, ["orders"]).Heartbeat(c, 0, _topics);
        Assert.Equal(ErrorCode.GroupIdNotFound, (ErrorCode)r.ErrorCode);
        Assert.Equal($"Group {Group} is not a consumer group.", r.ErrorMessage);
    }

    [Fact]
    public void A_topic_created_after_the_subscription_is_assigned_on_the_next_heartbeat()
    {
        var m = new SimMember(Group, ["later"]);
        m.Heartbeat(_c, 0, _topics);
        Assert.True(m.Owned.IsEmpty);
        _topics.Add("later", 2);
        m.Heartbeat(_c, 0, _topics);
        Assert.Equal(2, m.Owned.Count);
        Assert.Equal(2, _c.Group(Group)!.GroupEpoch);
    }

    [Fact]
    public void The_named_server_assignor_is_used()
    {
        _topics.Add("left", 4);
        _topics.Add("right", 4);
        var a = new SimMember(Group, ["left", "right"], assignor: "range");
        var b = new SimMember(Group, ["left", "right"], assignor: "range");
        Converge([a, b], 0);
        var left = _topics.ByName("left")!.Id;
        var right = _topics.ByName("right")!.Id;
        Assert.Equal(a.Owned.Get(left), a.Owned.Get(right));
        Assert.Equal("range", _c.Describe(Group, _topics).AssignorName);
    }

    [Fact]
    public void Offset_commit_and_fetch_check_the_member_epoch()
    {
        var m = new SimMember(Group, ["orders"]);
        m.Heartbeat(_c, 0, _topics);
        Assert.Equal(ErrorCode.None, _c.ValidateOffsetCommit(Group, m.MemberId, m.Epoch, 9));
        Assert.Equal(ErrorCode.StaleMemberEpoch, _c.ValidateOffsetCommit(Group, m.MemberId, m.Epoch - 1, 9));
        Assert.Equal(ErrorCode.UnsupportedVersion, _c.ValidateOffsetCommit(Group, m.MemberId, m.Epoch - 1, 8));
        Assert.Equal(ErrorCode.UnknownMemberId, _c.ValidateOffsetCommit(Group, "nobody", 1, 9));
        Assert.Equal(ErrorCode.UnknownMemberId, _c.ValidateOffsetCommit(Group, "", -1, 9));
        Assert.Null(_c.ValidateOffsetCommit("classic", "x", 1, 9));
        Assert.Equal(ErrorCode.None, _c.ValidateOffsetFetch(Group, null, -1));
        Assert.Equal(ErrorCode.None, _c.ValidateOffsetFetch(Group, m.MemberId, m.Epoch));
        Assert.Equal(ErrorCode.StaleMemberEpoch, _c.ValidateOffsetFetch(Group, m.MemberId, m.Epoch + 1));
        m.Leave(_c, 0, _topics);
        // An empty group takes admin commits.
        Assert.Equal(ErrorCode.None, _c.ValidateOffsetCommit(Group, "", -1, 9));
    }

    [Fact]
    public void Describe_and_delete()
    {
        var m = new SimMember(Group, ["orders"]);
        m.Heartbeat(_c, 0, _topics);
        var d = _c.Describe(Group, _topics);
        Assert.Equal("Stable", d.GroupState);
        Assert.Equal("uniform", d.AssignorName);
        var member = Assert.Single(d.Members);
        Assert.Equal("orders", Assert.Single(member.Assignment.TopicPartitions).TopicName);
        Assert.Equal(6, member.TargetAssignment.TopicPartitions[0].Partitions.Count);
        Assert.Equal(ErrorCode.GroupIdNotFound, (ErrorCode)_c.Describe("nope", _topics).ErrorCode);

        Assert.Equal(ErrorCode.NonEmptyGroup, _c.DeleteGroup(Group)!.Response);
        m.Leave(_c, 0, _topics);
        Assert.Equal("Empty", _c.Describe(Group, _topics).GroupState);
        var deleted = _c.DeleteGroup(Group)!;
        Assert.Equal(ErrorCode.None, deleted.Response);
        Assert.Equal(new short[] { 6, 4, 3 }, deleted.Records.Select(r => r.KeyVersion).ToArray());
        Assert.False(_c.IsConsumerGroup(Group));
    }

    [Fact]
    public void Replaying_the_records_rebuilds_the_same_group()
    {
        var log = new List<CoordinatorRecord>();
        var members = new List<SimMember>
        {
            new(Group, ["orders"]) { Log = log },
            new(Group, ["orders"]) { Log = log },
            new(Group, ["orders"], instanceId: "s") { Log = log },
        };
        Converge(members, 0);
        members[0].Leave(_c, 0, _topics);
        members.RemoveAt(0);
        Converge(members, 0);
        members.Add(new SimMember(Group, ["orders"]) { Log = log });
        members[0].Heartbeat(_c, 0, _topics);
        members[2].Heartbeat(_c, 0, _topics);
        var ordered = log;

        var replayed = new ConsumerGroupCoordinator(ConsumerGroupConfig.Default);
        foreach (var r in ordered)
        {
            // Through bytes, as the log holds them.
            replayed.Replay(CoordinatorRecord.Parse(r.KeyBytes(), r.ValueBytes())!);
        }
        var a = _c.Group(Group)!;
        var b = replayed.Group(Group)!;
        Assert.Equal(a.GroupEpoch, b.GroupEpoch);
        Assert.Equal(a.AssignmentEpoch, b.AssignmentEpoch);
        Assert.Equal(a.State, b.State);
        Assert.Equal(a.Members.Keys.Order(), b.Members.Keys.Order());
        foreach (var (id, m) in a.Members)
        {
            Assert.True(m.SameMetadata(b.Members[id]));
            Assert.True(m.SameAssignmentState(b.Members[id]));
            Assert.Equal(a.TargetAssignmentOf(id), b.TargetAssignmentOf(id));
        }
        Assert.True(ConsumerGroup.SameSubscriptionMetadata(a.SubscriptionMetadata, b.SubscriptionMetadata));
    }
}
