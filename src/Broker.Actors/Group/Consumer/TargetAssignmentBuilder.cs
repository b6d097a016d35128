namespace Broker.Actors.Group.Consumer;

/// <summary>
/// Computes the target assignment of a group epoch (Kafka's TargetAssignmentBuilder): the members as they will be
/// (one added or updated, one incarnation replaced), their subscriptions resolved to topic ids, their current
/// targets for stickiness; the assignor decides; records are written only for members whose target changed,
/// followed by the new assignment epoch.
/// </summary>
public static class TargetAssignmentBuilder
{
    public static IReadOnlyDictionary<string, Assignment> Build(
        ConsumerGroup group,
        int groupEpoch,
        IPartitionAssignor assignor,
        IReadOnlyDictionary<string, TopicMetadata> subscriptionMetadata,
        ConsumerGroupMember updatedMember,
        ConsumerGroupMember? replacedMember,
        List<CoordinatorRecord> records)
    {
        var members = new Dictionary<string, ConsumerGroupMember>(group.Members, StringComparer.Ordinal);
        if (replacedMember is not null)
        {
            members.Remove(replacedMember.MemberId);
        }
        members[updatedMember.MemberId] = updatedMember;

        var specs = new Dictionary<string, AssignmentMemberSpec>(StringComparer.Ordinal);
        foreach (var (id, m) in members)
        {
            var topicIds = new HashSet<Guid>();
            foreach (var name in m.SubscribedTopicNames)
            {
                if (subscriptionMetadata.TryGetValue(name, out var t))
                {
                    topicIds.Add(t.Id);
                }
            }
            // A new incarnation starts from the target of the one it replaces, so a static member gets its partitions back.
            var current = replacedMember is not null && id == updatedMember.MemberId
                ? group.TargetAssignmentOf(replacedMember.MemberId)
                : group.TargetAssignmentOf(id);
            specs[id] = new AssignmentMemberSpec(topicIds, current);
        }
        var counts = subscriptionMetadata.Values.ToDictionary(t => t.Id, t => t.NumPartitions);
        var result = assignor.Assign(new GroupSpec(specs, counts));

        foreach (var id in members.Keys.Order(StringComparer.Ordinal))
        {
            var next = result.GetValueOrDefault(id) ?? Assignment.Empty;
            // The replaced incarnation's target was tombstoned: the new one is always written.
            var rewrite = replacedMember is not null && id == updatedMember.MemberId;
            if (rewrite || !group.TargetAssignment.TryGetValue(id, out var previous) || !previous.Equals(next))
            {
                records.Add(ConsumerGroupRecords.TargetAssignment(group.GroupId, id, next));
            }
        }
        records.Add(ConsumerGroupRecords.TargetAssignmentEpoch(group.GroupId, groupEpoch));
        return members.Keys.ToDictionary(id => id, id => result.GetValueOrDefault(id) ?? Assignment.Empty, StringComparer.Ordinal);
    }
}
