using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>JoinGroup: the member-id-required flow, static members, and the join phase of a rebalance.</summary>
public sealed partial class GroupCoordinatorShard
{
    private void HandleJoin(JoinGroup join)
    {
        var request = join.Request;
        var respond = join.Respond;
        if (string.IsNullOrEmpty(request.GroupId))
        {
            respond(JoinError(ErrorCode.InvalidGroupId, request.MemberId));
            return;
        }
        if (request.SessionTimeoutMs < _settings.MinSessionTimeoutMs || request.SessionTimeoutMs > _settings.MaxSessionTimeoutMs)
        {
            respond(JoinError(ErrorCode.InvalidSessionTimeout, request.MemberId));
            return;
        }
        var protocols = new List<(string Name, ReadOnlyMemory<byte> Metadata)>(request.Protocols.Count);
        foreach (var p in request.Protocols)
        {
            // Copies: the request frame goes back to the pool once answered, the member's metadata stays.
            protocols.Add((p.Name, p.Metadata.ToArray()));
        }
        ClassicGroup group;
        if (_groups.TryGetValue(request.GroupId, out var existing))
        {
            if (existing is not ClassicGroup classic)
            {
                // A KIP-848 group of the same id: "Group ... is not a classic group" (Kafka 3.7+, no mixed groups here).
                respond(JoinError(ErrorCode.GroupIdNotFound, request.MemberId));
                return;
            }
            group = classic;
        }
        else
        {
            if (request.MemberId.Length > 0)
            {
                respond(JoinError(ErrorCode.UnknownMemberId, request.MemberId));
                return;
            }
            group = NewClassicGroup(request.GroupId);
            group.TransitionTo(GroupState.Empty, NowMs);
            _groups[request.GroupId] = group;
        }
        if (group.State == GroupState.Dead)
        {
            respond(JoinError(ErrorCode.CoordinatorNotAvailable, request.MemberId));
            return;
        }
        if (!group.SupportsProtocols(request.ProtocolType, protocols))
        {
            respond(JoinError(ErrorCode.InconsistentGroupProtocol, request.MemberId));
            return;
        }
        var rebalanceTimeout = join.Version == 0 || request.RebalanceTimeoutMs < 0 ? request.SessionTimeoutMs : request.RebalanceTimeoutMs;
        if (request.MemberId.Length == 0)
        {
            JoinNewMember(group, join, protocols, rebalanceTimeout);
        }
        else
        {
            JoinExistingMember(group, join, protocols, rebalanceTimeout);
        }
    }

    private void JoinNewMember(ClassicGroup group, JoinGroup join, List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols, int rebalanceTimeout)
    {
        var request = join.Request;
        var respond = join.Respond;
        var memberId = $"{join.ClientId}-{Guid.NewGuid()}";
        if (request.GroupInstanceId is { } instanceId && group.StaticMembers.TryGetValue(instanceId, out var oldId)
            && group.Members.ContainsKey(oldId))
        {
            ReplaceStaticMember(group, join, protocols, rebalanceTimeout, oldId, memberId);
            return;
        }
        if (join.Version >= 4 && request.GroupInstanceId is null)
        {
            // KIP-394: hand out the id first; the member joins for real with it within its session timeout.
            group.PendingMembers.Add(memberId);
            var expiry = new PendingMemberExpiry(group.GroupId, memberId);
            Context.Timers.StartSingleTimer(expiry, expiry, TimeSpan.FromMilliseconds(request.SessionTimeoutMs));
            respond(JoinError(ErrorCode.MemberIdRequired, memberId));
            return;
        }
        if (group.Members.Count >= _settings.MaxGroupSize)
        {
            respond(JoinError(ErrorCode.GroupMaxSizeReached, memberId));
            return;
        }
        var member = NewMember(memberId, join, protocols, rebalanceTimeout);
        if (request.GroupInstanceId is { } id)
        {
            group.StaticMembers[id] = memberId;
        }
        AddAndRebalance(group, member, respond);
    }

    private GroupMember NewMember(string memberId, JoinGroup join, List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols, int rebalanceTimeout) =>
        new(memberId, join.Request.GroupInstanceId, join.ClientId, join.ClientHost)
        {
            SessionTimeoutMs = join.Request.SessionTimeoutMs,
            RebalanceTimeoutMs = rebalanceTimeout,
            ProtocolType = join.Request.ProtocolType,
            Protocols = protocols,
        };

    /// <summary>
    /// A restarted static member takes over its old identity: the old member id is fenced and, when the
    /// group is Stable and the selected protocol would not change, the member gets the current generation
    /// (and so its old assignment at SyncGroup) without a rebalance, once the new id is persisted.
    /// </summary>
    private void ReplaceStaticMember(ClassicGroup group, JoinGroup join, List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols,
        int rebalanceTimeout, string oldId, string memberId)
    {
        var old = group.Members[oldId];
        var currentLeader = group.LeaderId;
        CancelSession(group, oldId);
        old.AwaitingJoin?.Invoke(JoinError(ErrorCode.FencedInstanceId, oldId));
        old.AwaitingSync?.Invoke(SyncError(ErrorCode.FencedInstanceId));
        old.AwaitingJoin = null;
        old.AwaitingSync = null;
        group.RenameMember(old, memberId);
        old.SessionTimeoutMs = join.Request.SessionTimeoutMs;
        old.RebalanceTimeoutMs = rebalanceTimeout;
        old.LastHeartbeatMs = NowMs;
        group.StaticMembers[join.Request.GroupInstanceId!] = memberId;
        group.PendingSyncMembers.Remove(oldId);
        if (group.LeaderId == oldId)
        {
            group.LeaderId = memberId;
        }
        ScheduleSession(group, old);
        group.SetProtocols(old, protocols);
        if (group.State == GroupState.Stable && group.SelectProtocol() == group.ProtocolName)
        {
            var respond = join.Respond;
            var generation = group.GenerationId;
            Write([GroupMetadataRecord(group, assignmentsOf: null)], error =>
            {
                if (error != ErrorCode.None)
                {
                    respond(JoinError(error, memberId));
                    return;
                }
                if (group.GenerationId != generation || !group.Members.ContainsKey(memberId))
                {
                    respond(JoinError(ErrorCode.RebalanceInProgress, memberId));
                    return;
                }
                // As Kafka: before v9 the answer names the leader as it was, so a restarted leader does not compute
                // an assignment a stable group would never hand out; from v9 (KIP-814) it names the leader truly,
                // with the members, and says to skip the assignment. Either way its SyncGroup gets the stored one.
                if (join.Version >= 9 && group.LeaderId == memberId)
                {
                    var answer = JoinAnswer(group, group.Members[memberId]);
                    respond(answer with { SkipAssignment = true });
                    return;
                }
                respond(new JoinResult(0, group.GenerationId, group.ProtocolTypeOrNull, group.ProtocolName,
                    join.Version >= 9 ? group.LeaderId! : currentLeader!, memberId, []));
            });
            return;
        }
        old.AwaitingJoin = join.Respond;
        if (group.State == GroupState.PreparingRebalance)
        {
            TryCompleteJoin(group);
        }
        else
        {
            PrepareRebalance(group);
        }
    }

    private void JoinExistingMember(ClassicGroup group, JoinGroup join, List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols, int rebalanceTimeout)
    {
        var request = join.Request;
        var respond = join.Respond;
        var memberId = request.MemberId;
        if (group.PendingMembers.Remove(memberId))
        {
            Context.Timers.Cancel(new PendingMemberExpiry(group.GroupId, memberId));
            if (group.Members.Count >= _settings.MaxGroupSize)
            {
                respond(JoinError(ErrorCode.GroupMaxSizeReached, memberId));
                return;
            }
            AddAndRebalance(group, NewMember(memberId, join, protocols, rebalanceTimeout), respond);
            return;
        }
        if (IsFenced(group, request.GroupInstanceId, memberId))
        {
            respond(JoinError(ErrorCode.FencedInstanceId, memberId));
            return;
        }
        if (!group.Members.TryGetValue(memberId, out var member))
        {
            respond(JoinError(ErrorCode.UnknownMemberId, memberId));
            return;
        }
        member.LastHeartbeatMs = NowMs;
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        member.RebalanceTimeoutMs = rebalanceTimeout;
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                group.SetProtocols(member, protocols);
                ReplaceJoin(member, respond);
                TryCompleteJoin(group);
                return;
            case GroupState.CompletingRebalance:
                if (member.SameProtocols(protocols))
                {
                    // A retried join of this generation: answer it again.
                    respond(JoinAnswer(group, member));
                    return;
                }
                group.SetProtocols(member, protocols);
                ReplaceJoin(member, respond);
                PrepareRebalance(group);
                return;
            case GroupState.Stable:
                if (group.LeaderId != memberId && member.SameProtocols(protocols))
                {
                    respond(JoinAnswer(group, member));
                    return;
                }
                group.SetProtocols(member, protocols);
                ReplaceJoin(member, respond);
                PrepareRebalance(group);
                return;
            default:
                respond(JoinError(ErrorCode.UnknownMemberId, memberId));
                return;
        }
    }

    private static void ReplaceJoin(GroupMember member, Action<JoinResult> respond)
    {
        member.AwaitingJoin?.Invoke(JoinError(ErrorCode.RebalanceInProgress, member.MemberId));
        member.AwaitingJoin = respond;
    }

    private void AddAndRebalance(ClassicGroup group, GroupMember member, Action<JoinResult> respond)
    {
        member.LastHeartbeatMs = NowMs;
        member.AwaitingJoin = respond;
        if (group.Members.Count == 0)
        {
            group.ProtocolTypeOrNull = member.ProtocolType;
        }
        group.AddMember(member);
        ScheduleSession(group, member);
        if (group.State == GroupState.PreparingRebalance)
        {
            group.NewMemberAdded = true;
            TryCompleteJoin(group);
        }
        else
        {
            PrepareRebalance(group);
        }
    }

    private void PrepareRebalance(ClassicGroup group)
    {
        if (group.State == GroupState.CompletingRebalance)
        {
            foreach (var m in group.Members.Values)
            {
                m.AwaitingSync?.Invoke(SyncError(ErrorCode.RebalanceInProgress));
                m.AwaitingSync = null;
            }
        }
        Context.Timers.Cancel(new SyncDeadline(group.GroupId));
        group.PendingSyncMembers.Clear();
        var wasEmpty = group.State == GroupState.Empty;
        group.TransitionTo(GroupState.PreparingRebalance, NowMs);
        var rebalanceTimeout = 0;
        foreach (var m in group.Members.Values)
        {
            rebalanceTimeout = Math.Max(rebalanceTimeout, m.RebalanceTimeoutMs);
        }
        var deadline = new JoinDeadline(group.GroupId);
        if (wasEmpty && _settings.InitialRebalanceDelayMs > 0)
        {
            // Kafka's InitialDelayedJoin: wait for more members, extending while they keep coming, within the rebalance timeout.
            var delay = Math.Min(_settings.InitialRebalanceDelayMs, Math.Max(rebalanceTimeout, 1));
            group.InInitialDelay = true;
            group.NewMemberAdded = false;
            group.InitialDelayRemainingMs = Math.Max(rebalanceTimeout - delay, 0);
            Context.Timers.StartSingleTimer(deadline, deadline, TimeSpan.FromMilliseconds(delay));
        }
        else
        {
            group.InInitialDelay = false;
            Context.Timers.StartSingleTimer(deadline, deadline, TimeSpan.FromMilliseconds(rebalanceTimeout));
        }
        TryCompleteJoin(group);
    }

    /// <summary>The join phase ends early once every known member rejoined (and the initial delay is over).</summary>
    private void TryCompleteJoin(ClassicGroup group)
    {
        if (group.State == GroupState.PreparingRebalance && !group.InInitialDelay && group.AllMembersJoined())
        {
            CompleteJoin(group);
        }
    }

    /// <summary>
    /// Ends the join phase: members that did not rejoin are dropped, the next generation starts with a
    /// selected protocol and leader (CompletingRebalance), or the group is Empty (and that is written).
    /// </summary>
    private void CompleteJoin(ClassicGroup group)
    {
        Context.Timers.Cancel(new JoinDeadline(group.GroupId));
        group.InInitialDelay = false;
        List<string>? gone = null;
        foreach (var m in group.Members.Values)
        {
            if (m.AwaitingJoin is null)
            {
                (gone ??= []).Add(m.MemberId);
            }
        }
        if (gone is not null)
        {
            foreach (var id in gone)
            {
                RemoveMember(group, id);
            }
        }
        foreach (var pending in group.PendingMembers)
        {
            Context.Timers.Cancel(new PendingMemberExpiry(group.GroupId, pending));
        }
        group.PendingMembers.Clear();
        group.GenerationId++;
        var now = NowMs;
        if (group.Members.Count == 0)
        {
            group.TransitionTo(GroupState.Empty, now);
            group.ProtocolName = null;
            group.LeaderId = null;
            group.SubscribedTopics = null;
            Write([GroupMetadataRecord(group, assignmentsOf: null)], _ => { });
            return;
        }
        group.ProtocolName = group.SelectProtocol();
        if (group.LeaderId is null || !group.Members.ContainsKey(group.LeaderId))
        {
            group.LeaderId = group.Members.Keys.First();
        }
        group.SubscribedTopics = group.ComputeSubscribedTopics();
        group.TransitionTo(GroupState.CompletingRebalance, now);
        var rebalanceTimeout = 0;
        foreach (var m in group.Members.Values)
        {
            var respond = m.AwaitingJoin!;
            m.AwaitingJoin = null;
            m.LastHeartbeatMs = now;
            m.Assignment = ReadOnlyMemory<byte>.Empty;
            rebalanceTimeout = Math.Max(rebalanceTimeout, m.RebalanceTimeoutMs);
            group.PendingSyncMembers.Add(m.MemberId);
            respond(JoinAnswer(group, m));
        }
        // Members that never send SyncGroup are removed after the rebalance timeout (Kafka's pending sync).
        var syncDeadline = new SyncDeadline(group.GroupId);
        Context.Timers.StartSingleTimer(syncDeadline, new SyncDeadline(group.GroupId) { Generation = group.GenerationId }, TimeSpan.FromMilliseconds(rebalanceTimeout));
    }

    private static JoinResult JoinAnswer(ClassicGroup group, GroupMember member)
    {
        IReadOnlyList<(string, string?, ReadOnlyMemory<byte>)> members = group.LeaderId == member.MemberId
            ? group.Members.Values.Select(m => (m.MemberId, m.GroupInstanceId, m.MetadataFor(group.ProtocolName!))).ToList()
            : [];
        return new JoinResult(0, group.GenerationId, group.ProtocolTypeOrNull, group.ProtocolName, group.LeaderId!, member.MemberId, members);
    }

    private static JoinResult JoinError(ErrorCode error, string memberId) =>
        new((short)error, -1, null, null, string.Empty, memberId, []);

    private static bool IsFenced(ClassicGroup group, string? instanceId, string memberId) =>
        instanceId is not null && group.StaticMembers.TryGetValue(instanceId, out var current) && current != memberId;

    private void RemoveMember(ClassicGroup group, string memberId)
    {
        if (!group.RemoveMember(memberId, out var member))
        {
            return;
        }
        CancelSession(group, memberId);
        group.PendingSyncMembers.Remove(memberId);
        if (member.GroupInstanceId is { } id && group.StaticMembers.TryGetValue(id, out var current) && current == memberId)
        {
            group.StaticMembers.Remove(id);
        }
        if (group.LeaderId == memberId)
        {
            group.LeaderId = group.Members.Keys.FirstOrDefault();
        }
    }

    /// <summary>After members left or expired: a settled group rebalances, a rebalancing one may now complete.</summary>
    private void OnMembersRemoved(ClassicGroup group)
    {
        switch (group.State)
        {
            case GroupState.Stable or GroupState.CompletingRebalance:
                PrepareRebalance(group);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin(group);
                break;
        }
    }
}
