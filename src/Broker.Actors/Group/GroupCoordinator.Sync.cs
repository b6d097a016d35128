using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>SyncGroup, Heartbeat and LeaveGroup.</summary>
public sealed partial class GroupCoordinator
{
    public void Sync(SyncGroupRequest request, Action<SyncResult> respond)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(request.GroupId))
            {
                respond(SyncError(ErrorCode.InvalidGroupId));
                return;
            }
            if (!_groups.TryGetValue(request.GroupId, out var group) || group.State is GroupState.Empty or GroupState.Dead)
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
            if ((request.ProtocolType is not null && request.ProtocolType != group.ProtocolType)
                || (request.ProtocolName is not null && request.ProtocolName != group.ProtocolName))
            {
                respond(SyncError(ErrorCode.InconsistentGroupProtocol));
                return;
            }
            member.LastHeartbeatMs = Now;
            switch (group.State)
            {
                case GroupState.PreparingRebalance:
                    respond(SyncError(ErrorCode.RebalanceInProgress));
                    return;
                case GroupState.Stable:
                    respond(new SyncResult(0, group.ProtocolType, group.ProtocolName, member.Assignment));
                    return;
            }
            member.AwaitingSync = respond;
            if (group.LeaderId != request.MemberId)
            {
                return;
            }
            var assignments = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
            foreach (var a in request.Assignments)
            {
                assignments[a.MemberId] = a.Assignment;
            }
            group.State = GroupState.Stable;
            foreach (var m in group.Members.Values)
            {
                m.Assignment = assignments.TryGetValue(m.MemberId, out var bytes) ? bytes.ToArray() : ReadOnlyMemory<byte>.Empty;
                var waiting = m.AwaitingSync;
                m.AwaitingSync = null;
                waiting?.Invoke(new SyncResult(0, group.ProtocolType, group.ProtocolName, m.Assignment));
            }
        }
    }

    private static SyncResult SyncError(ErrorCode error) => new((short)error, null, null, default);

    private static bool IsFenced(ClassicGroup group, string? instanceId, string memberId) =>
        instanceId is not null && group.StaticMembers.TryGetValue(instanceId, out var current) && current != memberId;

    public ErrorCode Heartbeat(HeartbeatRequest request)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(request.GroupId))
            {
                return ErrorCode.InvalidGroupId;
            }
            if (!_groups.TryGetValue(request.GroupId, out var group) || group.State is GroupState.Empty or GroupState.Dead)
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
            member.LastHeartbeatMs = Now;
            return group.State == GroupState.PreparingRebalance ? ErrorCode.RebalanceInProgress : ErrorCode.None;
        }
    }

    /// <summary>Removes each leaving member (by member id, or by instance id for static members).</summary>
    public (ErrorCode Error, List<(string MemberId, string? InstanceId, ErrorCode Error)> Members) Leave(
        string groupId, IReadOnlyList<(string MemberId, string? InstanceId)> leaving)
    {
        var results = new List<(string, string?, ErrorCode)>();
        lock (_lock)
        {
            if (string.IsNullOrEmpty(groupId))
            {
                return (ErrorCode.InvalidGroupId, results);
            }
            if (!_groups.TryGetValue(groupId, out var group) || group.State == GroupState.Dead)
            {
                foreach (var (memberId, instanceId) in leaving)
                {
                    results.Add((memberId, instanceId, ErrorCode.UnknownMemberId));
                }
                return (ErrorCode.None, results);
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
                    results.Add((memberId, instanceId, ErrorCode.None));
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
                if (group.State is GroupState.Stable or GroupState.CompletingRebalance)
                {
                    PrepareRebalance(group);
                }
                else
                {
                    TryCompleteJoin(group);
                }
            }
        }
        return (ErrorCode.None, results);
    }
}
