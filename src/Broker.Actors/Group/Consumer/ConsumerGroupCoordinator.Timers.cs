namespace Broker.Actors.Group.Consumer;

/// <summary>
/// Session and rebalance timeouts. Deadlines are plain numbers compared with the time the caller passes to
/// <see cref="Tick"/>: a member that stops heartbeating, or does not revoke within its rebalance timeout, is fenced.
/// Deadlines are not persisted; a load restarts every session (<see cref="OnLoaded"/>).
/// </summary>
public sealed partial class ConsumerGroupCoordinator
{
    private readonly Dictionary<(string Group, string Member), long> _sessionDeadlines = new();
    private readonly Dictionary<(string Group, string Member), (long Deadline, int Epoch)> _rebalanceDeadlines = new();

    private void ScheduleSessionTimeout(string groupId, string memberId, long nowMs) =>
        _sessionDeadlines[(groupId, memberId)] = nowMs + _config.SessionTimeoutMs;

    private void ScheduleRebalanceTimeout(string groupId, string memberId, int memberEpoch, int rebalanceTimeoutMs, long nowMs) =>
        _rebalanceDeadlines[(groupId, memberId)] = (nowMs + Math.Max(0, rebalanceTimeoutMs), memberEpoch);

    private void CancelTimers(string groupId, string memberId)
    {
        _sessionDeadlines.Remove((groupId, memberId));
        _rebalanceDeadlines.Remove((groupId, memberId));
    }

    private void CancelGroupTimers(string groupId)
    {
        foreach (var key in _sessionDeadlines.Keys.Where(k => k.Group == groupId).ToList())
        {
            _sessionDeadlines.Remove(key);
        }
        foreach (var key in _rebalanceDeadlines.Keys.Where(k => k.Group == groupId).ToList())
        {
            _rebalanceDeadlines.Remove(key);
        }
    }

    /// <summary>The earliest pending deadline, so a driver can sleep until then (null: nothing pending).</summary>
    public long? NextDeadline =>
        _sessionDeadlines.Values.Concat(_rebalanceDeadlines.Values.Select(r => r.Deadline)).Cast<long?>().Min();

    /// <summary>Fences the members whose session or rebalance deadline passed; the records to append (already applied).</summary>
    public IReadOnlyList<CoordinatorRecord> Tick(long nowMs, IConsumerGroupTopics topics)
    {
        List<CoordinatorRecord>? records = null;
        foreach (var ((groupId, memberId), deadline) in _sessionDeadlines.Where(d => d.Value <= nowMs).ToList())
        {
            _sessionDeadlines.Remove((groupId, memberId));
            if (_groups.TryGetValue(groupId, out var group) && group.Member(memberId) is { } member)
            {
                Fence(group, member);
            }
        }
        foreach (var ((groupId, memberId), (deadline, epoch)) in _rebalanceDeadlines.Where(d => d.Value.Deadline <= nowMs).ToList())
        {
            _rebalanceDeadlines.Remove((groupId, memberId));
            // Only if it is still stuck in the epoch it was asked to leave.
            if (_groups.TryGetValue(groupId, out var group) && group.Member(memberId) is { } member && member.MemberEpoch == epoch)
            {
                Fence(group, member);
            }
        }
        return records ?? (IReadOnlyList<CoordinatorRecord>)[];

        void Fence(ConsumerGroup group, ConsumerGroupMember member)
        {
            var fenced = FenceMember(group, member, topics);
            foreach (var r in fenced)
            {
                Replay(r);
            }
            (records ??= []).AddRange(fenced);
        }
    }
}
