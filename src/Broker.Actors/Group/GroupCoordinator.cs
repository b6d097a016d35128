using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>Limits the coordinator enforces, from the broker's group.* settings.</summary>
public sealed record GroupCoordinatorSettings(int MinSessionTimeoutMs, int MaxSessionTimeoutMs, long InitialRebalanceDelayMs, int MaxGroupSize, int OffsetsTopicPartitions);

/// <summary>
/// The classic group coordinator of this node: JoinGroup / SyncGroup / Heartbeat / LeaveGroup and the
/// rebalance and session timers. All group state sits behind one lock; answers go out through
/// callbacks so a JoinGroup can wait for the rest of the group. A ticker drives the deadlines.
/// </summary>
public sealed partial class GroupCoordinator : IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<string, ClassicGroup> _groups = new(StringComparer.Ordinal);
    private readonly GroupCoordinatorSettings _settings;
    private readonly Timer _ticker;

    public GroupCoordinator(GroupCoordinatorSettings settings)
    {
        _settings = settings;
        _ticker = new Timer(_ => Tick(), null, 100, 100);
    }

    /// <summary>The __consumer_offsets partition that owns a group: abs(String.hashCode) % partitions, as Kafka.</summary>
    public static int PartitionFor(string groupId, int partitions)
    {
        var h = 0;
        foreach (var c in groupId)
        {
            h = unchecked((31 * h) + c);
        }
        // Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 rather than staying negative.
        return (h == int.MinValue ? 0 : Math.Abs(h)) % partitions;
    }

    private static long Now => Environment.TickCount64;

    public void Join(JoinGroupRequest request, short version, string clientId, string clientHost, Action<JoinResult> respond)
    {
        // Copied: the request's bytes are a slice of a pooled frame that is reused once the answer is written,
        // and the metadata outlives it (the leader's next join, DescribeGroups, a static member's rejoin).
        var protocols = request.Protocols.Select(p => (p.Name, (ReadOnlyMemory<byte>)p.Metadata.ToArray())).ToList();
        lock (_lock)
        {
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
            var exists = _groups.TryGetValue(request.GroupId, out var group);
            if (!exists)
            {
                if (request.MemberId.Length > 0)
                {
                    respond(JoinError(ErrorCode.UnknownMemberId, request.MemberId));
                    return;
                }
                group = new ClassicGroup(request.GroupId);
                _groups[request.GroupId] = group;
            }
            if (group!.State == GroupState.Dead)
            {
                respond(JoinError(ErrorCode.CoordinatorNotAvailable, request.MemberId));
                return;
            }
            if (!group.SupportsProtocols(request.ProtocolType, protocols))
            {
                respond(JoinError(ErrorCode.InconsistentGroupProtocol, request.MemberId));
                return;
            }
            var rebalanceTimeout = version == 0 || request.RebalanceTimeoutMs < 0 ? request.SessionTimeoutMs : request.RebalanceTimeoutMs;
            if (request.MemberId.Length == 0)
            {
                JoinNewMember(group, request, version, clientId, clientHost, protocols, rebalanceTimeout, respond);
            }
            else
            {
                JoinExistingMember(group, request, clientId, clientHost, protocols, rebalanceTimeout, respond);
            }
        }
    }

    private void JoinNewMember(ClassicGroup group, JoinGroupRequest request, short version, string clientId, string clientHost,
        List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols, int rebalanceTimeout, Action<JoinResult> respond)
    {
        var memberId = $"{clientId}-{Guid.NewGuid()}";
        if (request.GroupInstanceId is { } instanceId && group.StaticMembers.TryGetValue(instanceId, out var oldId)
            && group.Members.Remove(oldId, out var old))
        {
            // A restarted static member takes over its old identity: the old id is fenced, the assignment kept.
            var currentLeader = group.LeaderId;
            old.AwaitingJoin?.Invoke(JoinError(ErrorCode.FencedInstanceId, oldId));
            old.AwaitingSync?.Invoke(new SyncResult((short)ErrorCode.FencedInstanceId, null, null, default));
            old.AwaitingJoin = null;
            old.AwaitingSync = null;
            old.MemberId = memberId;
            old.SessionTimeoutMs = request.SessionTimeoutMs;
            old.RebalanceTimeoutMs = rebalanceTimeout;
            old.LastHeartbeatMs = Now;
            group.Members[memberId] = old;
            group.StaticMembers[instanceId] = memberId;
            if (group.LeaderId == oldId)
            {
                group.LeaderId = memberId;
            }
            old.Protocols = protocols;
            // As Kafka: in a stable group only a change of the selected protocol rebalances (the metadata
            // differs anyway: a restarted client owns nothing yet). The answer names the leader as it was,
            // so a restarted leader does not compute an assignment a stable group would never hand out.
            if (group.State == GroupState.Stable && group.SelectProtocol() == group.ProtocolName)
            {
                respond(new JoinResult(0, group.GenerationId, group.ProtocolType, group.ProtocolName, currentLeader!, memberId, []));
                return;
            }
            AddAndRebalance(group, old, respond);
            return;
        }
        if (version >= 4 && request.GroupInstanceId is null)
        {
            // KIP-394: hand out the id first; the member joins for real with it.
            group.PendingMembers[memberId] = Now + request.SessionTimeoutMs;
            respond(JoinError(ErrorCode.MemberIdRequired, memberId));
            return;
        }
        if (group.Members.Count >= _settings.MaxGroupSize)
        {
            respond(JoinError(ErrorCode.GroupMaxSizeReached, memberId));
            return;
        }
        var member = new GroupMember(memberId, request.GroupInstanceId, clientId, clientHost)
        {
            SessionTimeoutMs = request.SessionTimeoutMs,
            RebalanceTimeoutMs = rebalanceTimeout,
            ProtocolType = request.ProtocolType,
            Protocols = protocols,
        };
        if (request.GroupInstanceId is { } id)
        {
            group.StaticMembers[id] = memberId;
        }
        AddAndRebalance(group, member, respond);
    }

    private void JoinExistingMember(ClassicGroup group, JoinGroupRequest request, string clientId, string clientHost,
        List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols, int rebalanceTimeout, Action<JoinResult> respond)
    {
        var memberId = request.MemberId;
        if (group.PendingMembers.Remove(memberId))
        {
            if (group.Members.Count >= _settings.MaxGroupSize)
            {
                respond(JoinError(ErrorCode.GroupMaxSizeReached, memberId));
                return;
            }
            // DescribeGroups reports the client id and host of the connection that joined.
            var fresh = new GroupMember(memberId, request.GroupInstanceId, clientId, clientHost)
            {
                SessionTimeoutMs = request.SessionTimeoutMs,
                RebalanceTimeoutMs = rebalanceTimeout,
                ProtocolType = request.ProtocolType,
                Protocols = protocols,
            };
            AddAndRebalance(group, fresh, respond);
            return;
        }
        if (request.GroupInstanceId is { } instanceId && group.StaticMembers.TryGetValue(instanceId, out var current) && current != memberId)
        {
            respond(JoinError(ErrorCode.FencedInstanceId, memberId));
            return;
        }
        if (!group.Members.TryGetValue(memberId, out var member))
        {
            respond(JoinError(ErrorCode.UnknownMemberId, memberId));
            return;
        }
        member.LastHeartbeatMs = Now;
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        member.RebalanceTimeoutMs = rebalanceTimeout;
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                member.Protocols = protocols;
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
                member.Protocols = protocols;
                ReplaceJoin(member, respond);
                PrepareRebalance(group);
                return;
            case GroupState.Stable:
                if (group.LeaderId != memberId && member.SameProtocols(protocols))
                {
                    respond(JoinAnswer(group, member));
                    return;
                }
                member.Protocols = protocols;
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
        member.LastHeartbeatMs = Now;
        member.AwaitingJoin = respond;
        if (group.Members.Count == 0)
        {
            group.ProtocolType = member.ProtocolType;
        }
        group.Members[member.MemberId] = member;
        if (group.State == GroupState.PreparingRebalance)
        {
            group.JoinDeadlineMs = Math.Max(group.JoinDeadlineMs, Now + member.RebalanceTimeoutMs);
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
                m.Assignment = default;
                m.AwaitingSync?.Invoke(new SyncResult((short)ErrorCode.RebalanceInProgress, null, null, default));
                m.AwaitingSync = null;
            }
        }
        var wasEmpty = group.State == GroupState.Empty;
        group.State = GroupState.PreparingRebalance;
        var now = Now;
        group.JoinDeadlineMs = now + group.Members.Values.Select(m => m.RebalanceTimeoutMs).DefaultIfEmpty(0).Max();
        group.InitialDelayUntilMs = wasEmpty ? now + _settings.InitialRebalanceDelayMs : 0;
        TryCompleteJoin(group);
    }

    /// <summary>The join phase ends when every known member rejoined (after the initial delay) or at the deadline.</summary>
    private void TryCompleteJoin(ClassicGroup group)
    {
        if (group.State != GroupState.PreparingRebalance)
        {
            return;
        }
        var now = Now;
        var allJoined = group.PendingMembers.Count == 0 && group.Members.Values.All(m => m.AwaitingJoin is not null);
        if (!(allJoined && now >= group.InitialDelayUntilMs) && now < group.JoinDeadlineMs)
        {
            return;
        }
        foreach (var gone in group.Members.Values.Where(m => m.AwaitingJoin is null).ToList())
        {
            RemoveMember(group, gone.MemberId);
        }
        group.PendingMembers.Clear();
        group.GenerationId++;
        if (group.Members.Count == 0)
        {
            group.State = GroupState.Empty;
            group.ProtocolName = null;
            group.LeaderId = null;
            return;
        }
        group.ProtocolName = group.SelectProtocol();
        if (group.LeaderId is null || !group.Members.ContainsKey(group.LeaderId))
        {
            group.LeaderId = group.Members.Keys.First();
        }
        group.State = GroupState.CompletingRebalance;
        foreach (var m in group.Members.Values)
        {
            var respond = m.AwaitingJoin!;
            m.AwaitingJoin = null;
            m.LastHeartbeatMs = now;
            respond(JoinAnswer(group, m));
        }
    }

    private static JoinResult JoinAnswer(ClassicGroup group, GroupMember member)
    {
        IReadOnlyList<(string, string?, ReadOnlyMemory<byte>)> members = group.LeaderId == member.MemberId
            ? group.Members.Values.Select(m => (m.MemberId, m.GroupInstanceId, m.MetadataFor(group.ProtocolName!))).ToList()
            : [];
        return new JoinResult(0, group.GenerationId, group.ProtocolType, group.ProtocolName, group.LeaderId!, member.MemberId, members);
    }

    private static JoinResult JoinError(ErrorCode error, string memberId) =>
        new((short)error, -1, null, null, string.Empty, memberId, []);

    private static void RemoveMember(ClassicGroup group, string memberId)
    {
        if (!group.Members.Remove(memberId, out var member))
        {
            return;
        }
        if (member.GroupInstanceId is { } id && group.StaticMembers.TryGetValue(id, out var current) && current == memberId)
        {
            group.StaticMembers.Remove(id);
        }
        if (group.LeaderId == memberId)
        {
            group.LeaderId = group.Members.Keys.FirstOrDefault();
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            var now = Now;
            foreach (var group in _groups.Values)
            {
                foreach (var (pending, deadline) in group.PendingMembers.ToList())
                {
                    if (now > deadline)
                    {
                        group.PendingMembers.Remove(pending);
                    }
                }
                var expired = group.Members.Values
                    .Where(m => !m.IsAwaiting && now > m.LastHeartbeatMs + m.SessionTimeoutMs)
                    .Select(m => m.MemberId).ToList();
                foreach (var id in expired)
                {
                    RemoveMember(group, id);
                }
                if (expired.Count > 0 && group.State is GroupState.Stable or GroupState.CompletingRebalance)
                {
                    PrepareRebalance(group);
                }
                TryCompleteJoin(group);
            }
        }
    }

    public void Dispose() => _ticker.Dispose();
}
