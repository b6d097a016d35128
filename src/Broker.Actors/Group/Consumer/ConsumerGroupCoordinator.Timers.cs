namespace Broker.Actors.Group.Consumer;

/// <summary>
/// Where the coordinator keeps its session and rebalance deadlines. The coordinator shard runs them on
/// <c>Context.Timers</c> (a fired timer comes back as <see cref="ConsumerGroupCoordinator.ExpireSession"/> or
/// <see cref="ConsumerGroupCoordinator.ExpireRebalance"/>); without one, a table of deadlines is driven by
/// <see cref="ConsumerGroupCoordinator.Tick"/>. A timer may fire for a member that is gone: the expiry checks.
/// </summary>
public interface IConsumerGroupTimers
{
    /// <summary>The member's session ends at <paramref name="nowMs"/> + <paramref name="timeoutMs"/> unless it heartbeats again.</summary>
    void ScheduleSession(string groupId, string memberId, long nowMs, long timeoutMs);

    /// <summary>The member must revoke within the timeout while it stays at <paramref name="memberEpoch"/>.</summary>
    void ScheduleRebalance(string groupId, string memberId, int memberEpoch, long nowMs, long timeoutMs);

    void CancelRebalance(string groupId, string memberId);

    /// <summary>Both timers of the member.</summary>
    void Cancel(string groupId, string memberId);
}

/// <summary>
/// Session and rebalance timeouts: a member that stops heartbeating, or does not revoke within its rebalance
/// timeout, is fenced. Deadlines are not persisted; a load restarts every session (<see cref="OnLoaded"/>).
/// </summary>
public sealed partial class ConsumerGroupCoordinator
{
    private readonly IConsumerGroupTimers _timers;

    /// <summary>The built-in deadlines, when no timer service was given (then <see cref="Tick"/> passes the time).</summary>
    private readonly DeadlineTable? _table;

    private void ScheduleSessionTimeout(string groupId, string memberId, long nowMs) =>
        _timers.ScheduleSession(groupId, memberId, nowMs, _config.SessionTimeoutMs);

    private void ScheduleRebalanceTimeout(string groupId, string memberId, int memberEpoch, int rebalanceTimeoutMs, long nowMs) =>
        _timers.ScheduleRebalance(groupId, memberId, memberEpoch, nowMs, Math.Max(0, rebalanceTimeoutMs));

    private void CancelTimers(string groupId, string memberId) => _timers.Cancel(groupId, memberId);

    private void CancelGroupTimers(string groupId) => _table?.CancelGroup(groupId);

    /// <summary>Every member of the group gets a fresh session (and its rebalance timeout while revoking), from now.</summary>
    public void RestartTimers(string groupId, long nowMs)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return;
        }
        foreach (var member in group.Members.Values)
        {
            ScheduleSessionTimeout(group.GroupId, member.MemberId, nowMs);
            if (member.State == MemberState.UnrevokedPartitions)
            {
                ScheduleRebalanceTimeout(group.GroupId, member.MemberId, member.MemberEpoch, member.RebalanceTimeoutMs, nowMs);
            }
        }
    }

    /// <summary>The member's session ran out: fence it. The records to append (applied here only when records apply themselves).</summary>
    public IReadOnlyList<CoordinatorRecord> ExpireSession(string groupId, string memberId, IConsumerGroupTopics topics)
    {
        if (!_groups.TryGetValue(groupId, out var group) || group.Member(memberId) is not { } member)
        {
            return [];
        }
        var fenced = FenceMember(group, member, topics);
        Apply(fenced);
        return fenced;
    }

    /// <summary>The member did not revoke in time: fenced only if it is still stuck in the epoch it was asked to leave.</summary>
    public IReadOnlyList<CoordinatorRecord> ExpireRebalance(string groupId, string memberId, int memberEpoch, IConsumerGroupTopics topics)
    {
        if (!_groups.TryGetValue(groupId, out var group) || group.Member(memberId) is not { } member || member.MemberEpoch != memberEpoch)
        {
            return [];
        }
        var fenced = FenceMember(group, member, topics);
        Apply(fenced);
        return fenced;
    }

    private DeadlineTable Table => _table ?? throw new InvalidOperationException("the deadlines run on the caller's timers");

    /// <summary>The earliest pending deadline, so a driver can sleep until then (null: nothing pending).</summary>
    public long? NextDeadline => Table.Next;

    /// <summary>Fences the members whose session or rebalance deadline passed; the records to append (already applied).</summary>
    public IReadOnlyList<CoordinatorRecord> Tick(long nowMs, IConsumerGroupTopics topics)
    {
        var table = Table;
        List<CoordinatorRecord>? records = null;
        foreach (var (groupId, memberId) in table.ExpiredSessions(nowMs))
        {
            (records ??= []).AddRange(ExpireSession(groupId, memberId, topics));
        }
        foreach (var (groupId, memberId, epoch) in table.ExpiredRebalances(nowMs))
        {
            (records ??= []).AddRange(ExpireRebalance(groupId, memberId, epoch, topics));
        }
        return records ?? (IReadOnlyList<CoordinatorRecord>)[];
    }

    /// <summary>Deadlines as numbers compared with the time <see cref="Tick"/> is given.</summary>
    private sealed class DeadlineTable : IConsumerGroupTimers
    {
        private readonly Dictionary<(string Group, string Member), long> _sessions = new();
        private readonly Dictionary<(string Group, string Member), (long Deadline, int Epoch)> _rebalances = new();

        public void ScheduleSession(string groupId, string memberId, long nowMs, long timeoutMs) => _sessions[(groupId, memberId)] = nowMs + timeoutMs;

        public void ScheduleRebalance(string groupId, string memberId, int memberEpoch, long nowMs, long timeoutMs) =>
            _rebalances[(groupId, memberId)] = (nowMs + timeoutMs, memberEpoch);

        public void CancelRebalance(string groupId, string memberId) => _rebalances.Remove((groupId, memberId));

        public void Cancel(string groupId, string memberId)
        {
            _sessions.Remove((groupId, memberId));
            _rebalances.Remove((groupId, memberId));
        }

        public void CancelGroup(string groupId)
        {
            foreach (var key in _sessions.Keys.Where(k => k.Group == groupId).ToList())
            {
                _sessions.Remove(key);
            }
            foreach (var key in _rebalances.Keys.Where(k => k.Group == groupId).ToList())
            {
                _rebalances.Remove(key);
            }
        }

        public long? Next => _sessions.Values.Concat(_rebalances.Values.Select(r => r.Deadline)).Cast<long?>().Min();

        public List<(string Group, string Member)> ExpiredSessions(long nowMs)
        {
            var expired = _sessions.Where(d => d.Value <= nowMs).Select(d => d.Key).ToList();
            foreach (var key in expired)
            {
                _sessions.Remove(key);
            }
            return expired;
        }

        public List<(string Group, string Member, int Epoch)> ExpiredRebalances(long nowMs)
        {
            var expired = _rebalances.Where(d => d.Value.Deadline <= nowMs).Select(d => (d.Key.Group, d.Key.Member, d.Value.Epoch)).ToList();
            foreach (var (g, m, _) in expired)
            {
                _rebalances.Remove((g, m));
            }
            return expired;
        }
    }
}
