using Broker.Actors.Group.Consumer;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Group;

/// <summary>
/// The KIP-848 session and rebalance timeouts on <c>Context.Timers</c>. A session timer is not restarted per
/// heartbeat: the deadline moves, and the timer, when it fires early, re-arms for the time left (as the classic
/// sessions do). A fenced member's records go through the same append-then-apply path as a heartbeat's.
/// </summary>
public sealed partial class GroupCoordinatorShard : IConsumerGroupTimers
{
    private readonly Dictionary<(string Group, string Member), long> _consumerSessionDeadlines = new();

    private sealed record ConsumerSessionTimeout(string GroupId, string MemberId);

    /// <summary>Keyed by member (the key is built with epoch 0; the message carries the epoch the member must leave).</summary>
    private sealed record ConsumerRebalanceTimeout(string GroupId, string MemberId)
    {
        public int MemberEpoch { get; init; }
    }

    private static TimeSpan Delay(long ms) => TimeSpan.FromMilliseconds(Math.Max(1, ms));

    void IConsumerGroupTimers.ScheduleSession(string groupId, string memberId, long nowMs, long timeoutMs)
    {
        _consumerSessionDeadlines[(groupId, memberId)] = nowMs + timeoutMs;
        var key = new ConsumerSessionTimeout(groupId, memberId);
        if (!Context.Timers.IsTimerActive(key))
        {
            Context.Timers.StartSingleTimer(key, key, Delay(timeoutMs));
        }
    }

    void IConsumerGroupTimers.ScheduleRebalance(string groupId, string memberId, int memberEpoch, long nowMs, long timeoutMs)
    {
        var key = new ConsumerRebalanceTimeout(groupId, memberId);
        Context.Timers.StartSingleTimer(key, key with { MemberEpoch = memberEpoch }, Delay(timeoutMs));
    }

    void IConsumerGroupTimers.CancelRebalance(string groupId, string memberId) => Context.Timers.Cancel(new ConsumerRebalanceTimeout(groupId, memberId));

    void IConsumerGroupTimers.Cancel(string groupId, string memberId)
    {
        _consumerSessionDeadlines.Remove((groupId, memberId));
        Context.Timers.Cancel(new ConsumerSessionTimeout(groupId, memberId));
        Context.Timers.Cancel(new ConsumerRebalanceTimeout(groupId, memberId));
    }

    private void OnConsumerSessionTimeout(ConsumerSessionTimeout timeout)
    {
        var key = (timeout.GroupId, timeout.MemberId);
        if (!_consumerSessionDeadlines.TryGetValue(key, out var deadline))
        {
            return;
        }
        var left = deadline - NowMs;
        if (left > 0)
        {
            Context.Timers.StartSingleTimer(timeout, timeout, Delay(left));
            return;
        }
        _consumerSessionDeadlines.Remove(key);
        var records = _consumer.ExpireSession(timeout.GroupId, timeout.MemberId, _topics());
        if (records.Count > 0)
        {
            Log.LogInformation("consumer group {Group}: member {Member} fenced, its session timed out", timeout.GroupId, timeout.MemberId);
        }
        AppendConsumerRecords(timeout.GroupId, records, _ => { });
    }

    private void OnConsumerRebalanceTimeout(ConsumerRebalanceTimeout timeout)
    {
        var records = _consumer.ExpireRebalance(timeout.GroupId, timeout.MemberId, timeout.MemberEpoch, _topics());
        if (records.Count > 0)
        {
            Log.LogInformation("consumer group {Group}: member {Member} fenced, it did not revoke within its rebalance timeout",
                timeout.GroupId, timeout.MemberId);
        }
        AppendConsumerRecords(timeout.GroupId, records, _ => { });
    }
}
