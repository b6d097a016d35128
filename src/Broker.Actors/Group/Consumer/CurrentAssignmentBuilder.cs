using System.Collections.Immutable;

namespace Broker.Actors.Group.Consumer;

/// <summary>
/// The reconciliation engine (Kafka's CurrentAssignmentBuilder): moves one member from its current assignment
/// toward the target assignment of the latest assignment epoch. A member first revokes what it must give up
/// (UnrevokedPartitions, same epoch); only then does it move to the target epoch and receive new partitions,
/// and of those only the ones no other member still owns (the rest wait: UnreleasedPartitions).
/// </summary>
public static class CurrentAssignmentBuilder
{
    /// <param name="ownedPartitions">What the member says it owns (the heartbeat's TopicPartitions); null when not sent.</param>
    public static ConsumerGroupMember Build(
        ConsumerGroupMember member,
        int targetAssignmentEpoch,
        Assignment targetAssignment,
        Func<Guid, int, int> currentPartitionEpoch,
        Assignment? ownedPartitions)
    {
        switch (member.State)
        {
            case MemberState.Stable:
                return member.MemberEpoch != targetAssignmentEpoch
                    ? ComputeNext(member, member.MemberEpoch, targetAssignmentEpoch, targetAssignment, currentPartitionEpoch, ownedPartitions)
                    : member;
            case MemberState.UnrevokedPartitions:
                // Still holding something it was asked to revoke: it cannot progress yet.
                if (OwnsAnyOf(ownedPartitions, member.PartitionsPendingRevocation))
                {
                    return member;
                }
                return ComputeNext(member, member.MemberEpoch + 1, targetAssignmentEpoch, targetAssignment, currentPartitionEpoch, ownedPartitions);
            case MemberState.UnreleasedPartitions:
                return ComputeNext(member, member.MemberEpoch, targetAssignmentEpoch, targetAssignment, currentPartitionEpoch, ownedPartitions);
            default:
                // A state from a newer version: the member must rejoin with nothing.
                if (ownedPartitions is null || !ownedPartitions.IsEmpty)
                {
                    throw new ConsumerGroupException(Protocol.Messages.ErrorCode.FencedMemberEpoch,
                        "The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.");
                }
                return ComputeNext(member, targetAssignmentEpoch, targetAssignmentEpoch, targetAssignment, currentPartitionEpoch, ownedPartitions);
        }
    }

    /// <summary>True when the member did not report its partitions (it may still own them) or reports one of <paramref name="pending"/>.</summary>
    private static bool OwnsAnyOf(Assignment? owned, Assignment pending)
    {
        if (owned is null)
        {
            return true;
        }
        foreach (var (topicId, partitions) in owned.Partitions)
        {
            var revoking = pending.Get(topicId);
            if (partitions.Overlaps(revoking))
            {
                return true;
            }
        }
        return false;
    }

    private static ConsumerGroupMember ComputeNext(
        ConsumerGroupMember member,
        int memberEpoch,
        int targetAssignmentEpoch,
        Assignment target,
        Func<Guid, int, int> currentPartitionEpoch,
        Assignment? ownedPartitions)
    {
        var hasUnreleased = false;
        var assigned = new Dictionary<Guid, ImmutableSortedSet<int>>();
        var revoking = new Dictionary<Guid, ImmutableSortedSet<int>>();
        var pendingAssignment = new Dictionary<Guid, ImmutableSortedSet<int>>();
        foreach (var topicId in target.Partitions.Keys.Union(member.AssignedPartitions.Partitions.Keys))
        {
            var targetSet = target.Get(topicId);
            var current = member.AssignedPartitions.Get(topicId);
            // Kept = current ∩ target; revoked = current - kept; to assign = target - kept - (still owned elsewhere).
            var kept = current.Intersect(targetSet);
            var toRevoke = current.Except(kept);
            var toAssign = targetSet.Except(kept);
            var free = toAssign.Where(p => currentPartitionEpoch(topicId, p) == -1).ToImmutableSortedSet();
            hasUnreleased |= free.Count != toAssign.Count;
            assigned[topicId] = kept;
            revoking[topicId] = toRevoke;
            pendingAssignment[topicId] = free;
        }
        var newRevoking = Assignment.From(revoking);
        if (!newRevoking.IsEmpty && OwnsAnyOf(ownedPartitions, newRevoking))
        {
            // Revoke first, in the current epoch; the new partitions come with the next epoch.
            return member.WithMemberEpoch(memberEpoch) with
            {
                State = MemberState.UnrevokedPartitions,
                AssignedPartitions = Assignment.From(assigned),
                PartitionsPendingRevocation = newRevoking,
            };
        }
        var withNew = Assignment.From(assigned.Concat(pendingAssignment));
        return member.WithMemberEpoch(targetAssignmentEpoch) with
        {
            State = hasUnreleased ? MemberState.UnreleasedPartitions : MemberState.Stable,
            AssignedPartitions = withNew,
            PartitionsPendingRevocation = Assignment.Empty,
        };
    }
}
