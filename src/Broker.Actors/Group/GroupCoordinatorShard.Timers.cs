namespace Broker.Actors.Group;

/// <summary>
/// Time as messages (<c>Context.Timers</c>): session expiry, the join and sync deadlines of a
/// rebalance, the initial rebalance delay, pending (MEMBER_ID_REQUIRED) members. A session timer is
/// not restarted per heartbeat: it fires once per session timeout and re-arms for the time left.
/// </summary>
public sealed partial class GroupCoordinatorShard
{
    private sealed record SessionCheck(string GroupId, string MemberId);

    private sealed record JoinDeadline(string GroupId);

    /// <summary>Keyed by group (equality ignores nothing, so the key is always built with Generation 0).</summary>
    private sealed record SyncDeadline(string GroupId)
    {
        public int Generation { get; init; }
    }

    private sealed record PendingMemberExpiry(string GroupId, string MemberId);

    private sealed record ExpireOffsets
    {
        public static readonly ExpireOffsets Instance = new();
    }

    private void ScheduleSession(ClassicGroup group, GroupMember member) => ScheduleSession(group.GroupId, member.MemberId, member.SessionTimeoutMs);

    private void ScheduleSession(string groupId, string memberId, long delayMs)
    {
        var check = new SessionCheck(groupId, memberId);
        Context.Timers.StartSingleTimer(check, check, TimeSpan.FromMilliseconds(Math.Max(1, delayMs)));
    }

    private void CancelSession(ClassicGroup group, string memberId) => Context.Timers.Cancel(new SessionCheck(group.GroupId, memberId));

    private void OnSessionCheck(SessionCheck check)
    {
        if (!_groups.TryGetValue(check.GroupId, out var g) || g is not ClassicGroup group || !group.Members.TryGetValue(check.MemberId, out var member))
        {
            return;
        }
        var now = NowMs;
        if (member.IsAwaiting)
        {
            // A member waiting on a JoinGroup or SyncGroup answer is alive; the rebalance deadlines govern it.
            member.LastHeartbeatMs = now;
            ScheduleSession(group, member);
            return;
        }
        var idle = now - member.LastHeartbeatMs;
        if (idle < member.SessionTimeoutMs)
        {
            ScheduleSession(check.GroupId, check.MemberId, member.SessionTimeoutMs - idle);
            return;
        }
        RemoveMember(group, member.MemberId);
        OnMembersRemoved(group);
    }

    private void OnJoinDeadline(JoinDeadline deadline)
    {
        if (!_groups.TryGetValue(deadline.GroupId, out var g) || g is not ClassicGroup group || group.State != GroupState.PreparingRebalance)
        {
            return;
        }
        if (group.InInitialDelay && group.NewMemberAdded && group.InitialDelayRemainingMs > 0)
        {
            var delay = Math.Min(_settings.InitialRebalanceDelayMs, group.InitialDelayRemainingMs);
            group.InitialDelayRemainingMs -= delay;
            group.NewMemberAdded = false;
            Context.Timers.StartSingleTimer(deadline, deadline, TimeSpan.FromMilliseconds(delay));
            return;
        }
        CompleteJoin(group);
    }

    /// <summary>Members that did not SyncGroup within the rebalance timeout are removed and the group rebalances.</summary>
    private void OnSyncDeadline(SyncDeadline deadline)
    {
        if (!_groups.TryGetValue(deadline.GroupId, out var g) || g is not ClassicGroup group || group.GenerationId != deadline.Generation
            || group.State is not (GroupState.CompletingRebalance or GroupState.Stable) || group.PendingSyncMembers.Count == 0)
        {
            return;
        }
        foreach (var id in group.PendingSyncMembers.ToList())
        {
            if (group.Members.TryGetValue(id, out var member))
            {
                member.AwaitingJoin = null;
                member.AwaitingSync?.Invoke(SyncError(Broker.Protocol.Messages.ErrorCode.UnknownMemberId));
                member.AwaitingSync = null;
            }
            RemoveMember(group, id);
        }
        group.PendingSyncMembers.Clear();
        OnMembersRemoved(group);
    }

    private void OnPendingMemberExpiry(PendingMemberExpiry expiry)
    {
        if (_groups.TryGetValue(expiry.GroupId, out var g) && g is ClassicGroup group && group.PendingMembers.Remove(expiry.MemberId))
        {
            TryCompleteJoin(group);
        }
    }
}
