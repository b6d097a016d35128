using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>SyncGroup (the leader's assignment is written before anyone gets it), Heartbeat and LeaveGroup.</summary>
public sealed partial class GroupCoordinatorShard
{
    private void HandleSync(SyncGroup sync)
    {
        var request = sync.Request;
        var respond = sync.Respond;
        if (string.IsNullOrEmpty(request.GroupId))
        {
            respond(SyncError(ErrorCode.InvalidGroupId));
            return;
        }
        if (!_groups.TryGetValue(request.GroupId, out var g) || g is not ClassicGroup group || group.State is GroupState.Empty or GroupState.Dead)
        {
            respond(SyncError(ErrorCode.UnknownMemberId));
            return;
        }
        if (IsFenced(group, request.GroupInstanceId, request.MemberId))
        {
            respond(SyncError(ErrorCode.FencedInstanceId));
            return;
        }
        if (!group.Members.TryGetValue(request.MemberId, out var member))
        {
            respond(SyncError(ErrorCode.UnknownMemberId));
            return;
        }
        if (request.GenerationId != group.GenerationId)
        {
            respond(SyncError(ErrorCode.IllegalGeneration));
            return;
        }
        if ((request.ProtocolType is not null && request.ProtocolType != group.ProtocolTypeOrNull)
            || (request.ProtocolName is not null && request.ProtocolName != group.ProtocolName))
        {
            respond(SyncError(ErrorCode.InconsistentGroupProtocol));
            return;
        }
        member.LastHeartbeatMs = NowMs;
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                respond(SyncError(ErrorCode.RebalanceInProgress));
                return;
            case GroupState.Stable:
                group.PendingSyncMembers.Remove(member.MemberId);
                respond(new SyncResult(0, group.ProtocolTypeOrNull, group.ProtocolName, member.Assignment));
                return;
        }
        // CompletingRebalance: wait for the leader's assignment and its write.
        member.AwaitingSync?.Invoke(SyncError(ErrorCode.RebalanceInProgress));
        member.AwaitingSync = respond;
        group.PendingSyncMembers.Remove(member.MemberId);
        if (group.LeaderId != request.MemberId)
        {
            return;
        }
        var assignments = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        foreach (var a in request.Assignments)
        {
            // Copies: the request frame's buffer goes back to the pool after this message.
            assignments[a.MemberId] = a.Assignment.ToArray();
        }
        var generation = group.GenerationId;
        // Kafka's storeGroup: the generation is persisted with its assignment, then everyone gets theirs.
        Write([GroupMetadataRecord(group, assignments)], error =>
        {
            if (!ReferenceEquals(_groups.GetValueOrDefault(group.GroupId), group)
                || group.State != GroupState.CompletingRebalance || group.GenerationId != generation)
            {
                return;
            }
            if (error != ErrorCode.None)
            {
                foreach (var m in group.Members.Values)
                {
                    m.AwaitingSync?.Invoke(SyncError(error));
                    m.AwaitingSync = null;
                }
                PrepareRebalance(group);
                return;
            }
            foreach (var m in group.Members.Values)
            {
                m.Assignment = assignments.GetValueOrDefault(m.MemberId);
            }
            group.TransitionTo(GroupState.Stable, NowMs);
            foreach (var m in group.Members.Values)
            {
                var waiting = m.AwaitingSync;
                m.AwaitingSync = null;
                waiting?.Invoke(new SyncResult(0, group.ProtocolTypeOrNull, group.ProtocolName, m.Assignment));
            }
        });
    }

    private static SyncResult SyncError(ErrorCode error) => new((short)error, null, null, default);

    private ErrorCode HandleHeartbeat(HeartbeatRequest request)
    {
        if (string.IsNullOrEmpty(request.GroupId))
        {
            return ErrorCode.InvalidGroupId;
        }
        if (!_groups.TryGetValue(request.GroupId, out var g) || g is not ClassicGroup group || group.State is GroupState.Empty or GroupState.Dead)
        {
            return ErrorCode.UnknownMemberId;
        }
        if (IsFenced(group, request.GroupInstanceId, request.MemberId))
        {
            return ErrorCode.FencedInstanceId;
        }
        if (!group.Members.TryGetValue(request.MemberId, out var member))
        {
            return ErrorCode.UnknownMemberId;
        }
        if (request.GenerationId != group.GenerationId)
        {
            return ErrorCode.IllegalGeneration;
        }
        member.LastHeartbeatMs = NowMs;
        return group.State == GroupState.PreparingRebalance ? ErrorCode.RebalanceInProgress : ErrorCode.None;
    }

    /// <summary>Removes each leaving member (by member id, or by instance id for static members).</summary>
    private LeaveResult HandleLeave(string groupId, IReadOnlyList<(string MemberId, string? InstanceId)> leaving)
    {
        var results = new List<(string, string?, ErrorCode)>(leaving.Count);
        if (string.IsNullOrEmpty(groupId))
        {
            return new LeaveResult(ErrorCode.InvalidGroupId, results);
        }
        if (!_groups.TryGetValue(groupId, out var g) || g is not ClassicGroup group || group.State == GroupState.Dead)
        {
            foreach (var (memberId, instanceId) in leaving)
            {
                results.Add((memberId, instanceId, ErrorCode.UnknownMemberId));
            }
            return new LeaveResult(ErrorCode.None, results);
        }
        var removed = false;
        foreach (var (memberId, instanceId) in leaving)
        {
            var id = memberId;
            if (instanceId is not null)
            {
                if (!group.StaticMembers.TryGetValue(instanceId, out var current))
                {
                    results.Add((memberId, instanceId, ErrorCode.UnknownMemberId));
                    continue;
                }
                if (memberId.Length > 0 && current != memberId)
                {
                    results.Add((memberId, instanceId, ErrorCode.FencedInstanceId));
                    continue;
                }
                id = current;
            }
            if (group.PendingMembers.Remove(id))
            {
                Context.Timers.Cancel(new PendingMemberExpiry(groupId, id));
                results.Add((memberId, instanceId, ErrorCode.None));
                removed = true;
                continue;
            }
            if (!group.Members.TryGetValue(id, out var member))
            {
                results.Add((memberId, instanceId, ErrorCode.UnknownMemberId));
                continue;
            }
            member.AwaitingJoin?.Invoke(JoinError(ErrorCode.UnknownMemberId, id));
            member.AwaitingSync?.Invoke(SyncError(ErrorCode.UnknownMemberId));
            member.AwaitingJoin = null;
            member.AwaitingSync = null;
            RemoveMember(group, id);
            removed = true;
            results.Add((memberId, instanceId, ErrorCode.None));
        }
        if (removed)
        {
            OnMembersRemoved(group);
        }
        return new LeaveResult(ErrorCode.None, results);
    }
}
