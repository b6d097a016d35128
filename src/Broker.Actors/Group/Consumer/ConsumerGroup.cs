namespace Broker.Actors.Group.Consumer;

/// <summary>
/// A consumer-protocol group (Kafka's ConsumerGroup): group epoch, members, target assignment and its epoch,
/// the subscription metadata it assigned from, and which epoch owns each partition. Only the replay of records
/// changes it (<see cref="ConsumerGroupCoordinator"/>), on the live path and on load alike. As a
/// <see cref="Broker.Actors.Group.Group"/> it sits in its coordinator shard's groups beside the classic ones.
/// </summary>
public sealed class ConsumerGroup(string groupId) : Broker.Actors.Group.Group(groupId)
{
    private readonly Dictionary<string, ConsumerGroupMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _staticMembers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Assignment> _targetAssignment = new(StringComparer.Ordinal);
    private readonly Dictionary<(Guid TopicId, int Partition), int> _partitionEpochs = new();
    private readonly Dictionary<string, int> _subscribedTopicCounts = new(StringComparer.Ordinal);

    public override string GroupType => ConsumerProtocol.ProtocolType;

    public override string StateName => StateNameOf(State);

    public override string ProtocolType => ConsumerProtocol.ProtocolType;

    public override bool IsEmpty => _members.Count == 0;

    public override bool IsDead => false;

    /// <summary>As Kafka's ConsumerGroup: offsets age from their own commit time.</summary>
    public override long? EmptySinceMs => null;

    public override bool IsSubscribedToTopic(string topic) => _subscribedTopicCounts.ContainsKey(topic);

    public int GroupEpoch { get; set; }

    public int AssignmentEpoch { get; set; }

    /// <summary>Subscribed topics that exist, by name (persisted as ConsumerGroupPartitionMetadata).</summary>
    public IReadOnlyDictionary<string, TopicMetadata> SubscriptionMetadata { get; set; } = new Dictionary<string, TopicMetadata>();

    /// <summary>The topics image version the subscription metadata was computed from; another version means recompute.</summary>
    public long MetadataVersion { get; set; } = long.MinValue;

    public IReadOnlyDictionary<string, ConsumerGroupMember> Members => _members;

    public IReadOnlyDictionary<string, Assignment> TargetAssignment => _targetAssignment;

    public IReadOnlyDictionary<string, int> SubscribedTopicCounts => _subscribedTopicCounts;

    public ConsumerGroupState State
    {
        get
        {
            if (_members.Count == 0)
            {
                return ConsumerGroupState.Empty;
            }
            if (GroupEpoch > AssignmentEpoch)
            {
                return ConsumerGroupState.Assigning;
            }
            foreach (var m in _members.Values)
            {
                if (!m.IsReconciledTo(AssignmentEpoch))
                {
                    return ConsumerGroupState.Reconciling;
                }
            }
            return ConsumerGroupState.Stable;
        }
    }

    public static string StateNameOf(ConsumerGroupState state) => state switch
    {
        ConsumerGroupState.Assigning => "Assigning",
        ConsumerGroupState.Reconciling => "Reconciling",
        ConsumerGroupState.Stable => "Stable",
        ConsumerGroupState.Dead => "Dead",
        _ => "Empty",
    };

    public ConsumerGroupMember? Member(string memberId) => _members.GetValueOrDefault(memberId);

    public ConsumerGroupMember? StaticMember(string instanceId) =>
        _staticMembers.TryGetValue(instanceId, out var memberId) ? _members.GetValueOrDefault(memberId) : null;

    public Assignment TargetAssignmentOf(string memberId) => _targetAssignment.GetValueOrDefault(memberId) ?? Assignment.Empty;

    /// <summary>The epoch of the member that owns the partition (assigned or pending revocation), -1 when free.</summary>
    public int CurrentPartitionEpoch(Guid topicId, int partition) =>
        _partitionEpochs.TryGetValue((topicId, partition), out var epoch) ? epoch : -1;

    /// <summary>Replaces (or adds) a member, moving partition ownership from its old state to its new one.</summary>
    public void UpdateMember(ConsumerGroupMember member)
    {
        _members.TryGetValue(member.MemberId, out var old);
        if (old is not null)
        {
            ReleasePartitions(old);
            ChangeSubscriptions(old.SubscribedTopicNames, -1);
            if (old.InstanceId is { } oldInstance && _staticMembers.GetValueOrDefault(oldInstance) == old.MemberId)
            {
                _staticMembers.Remove(oldInstance);
            }
        }
        _members[member.MemberId] = member;
        ChangeSubscriptions(member.SubscribedTopicNames, +1);
        if (member.InstanceId is { } instance)
        {
            _staticMembers[instance] = member.MemberId;
        }
        ClaimPartitions(member);
    }

    public void RemoveMember(string memberId)
    {
        if (!_members.Remove(memberId, out var old))
        {
            return;
        }
        ReleasePartitions(old);
        ChangeSubscriptions(old.SubscribedTopicNames, -1);
        if (old.InstanceId is { } instance && _staticMembers.GetValueOrDefault(instance) == memberId)
        {
            _staticMembers.Remove(instance);
        }
    }

    public void SetTargetAssignment(string memberId, Assignment assignment) => _targetAssignment[memberId] = assignment;

    public void RemoveTargetAssignment(string memberId) => _targetAssignment.Remove(memberId);

    /// <summary>Kafka's choice: the server assignor most members name, else the default (first configured).</summary>
    public string PreferredServerAssignor(string defaultAssignor, ConsumerGroupMember? oldMember = null, ConsumerGroupMember? newMember = null)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var m in _members.Values)
        {
            var member = oldMember is not null && m.MemberId == oldMember.MemberId ? null : m;
            if (member?.ServerAssignor is { } name)
            {
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }
        if (newMember?.ServerAssignor is { } added)
        {
            counts[added] = counts.GetValueOrDefault(added) + 1;
        }
        return counts.Count == 0
            ? defaultAssignor
            : counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key;
    }

    /// <summary>Subscribed topic names with <paramref name="oldMember"/> replaced by <paramref name="newMember"/> (either may be null).</summary>
    public SortedSet<string> SubscribedTopicNames(ConsumerGroupMember? oldMember, ConsumerGroupMember? newMember)
    {
        var counts = new Dictionary<string, int>(_subscribedTopicCounts, StringComparer.Ordinal);
        if (oldMember is not null && _members.ContainsKey(oldMember.MemberId))
        {
            foreach (var t in oldMember.SubscribedTopicNames)
            {
                counts[t] = counts.GetValueOrDefault(t) - 1;
            }
        }
        if (newMember is not null)
        {
            foreach (var t in newMember.SubscribedTopicNames)
            {
                counts[t] = counts.GetValueOrDefault(t) + 1;
            }
        }
        return new SortedSet<string>(counts.Where(c => c.Value > 0).Select(c => c.Key), StringComparer.Ordinal);
    }

    public static Dictionary<string, TopicMetadata> ComputeSubscriptionMetadata(IEnumerable<string> topicNames, IConsumerGroupTopics topics)
    {
        var result = new Dictionary<string, TopicMetadata>(StringComparer.Ordinal);
        foreach (var name in topicNames)
        {
            if (topics.ByName(name) is { } t)
            {
                result[name] = t;
            }
        }
        return result;
    }

    public static bool SameSubscriptionMetadata(IReadOnlyDictionary<string, TopicMetadata> a, IReadOnlyDictionary<string, TopicMetadata> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && other == kv.Value);

    private void ChangeSubscriptions(IReadOnlyList<string> topics, int delta)
    {
        foreach (var t in topics)
        {
            var n = _subscribedTopicCounts.GetValueOrDefault(t) + delta;
            if (n <= 0)
            {
                _subscribedTopicCounts.Remove(t);
            }
            else
            {
                _subscribedTopicCounts[t] = n;
            }
        }
    }

    private void ReleasePartitions(ConsumerGroupMember member)
    {
        foreach (var tp in member.AssignedPartitions.All().Concat(member.PartitionsPendingRevocation.All()))
        {
            if (_partitionEpochs.TryGetValue(tp, out var epoch) && epoch == member.MemberEpoch)
            {
                _partitionEpochs.Remove(tp);
            }
        }
    }

    /// <summary>A partition has one owner at a time: claiming one another epoch holds is a bug, as in Kafka.</summary>
    private void ClaimPartitions(ConsumerGroupMember member)
    {
        foreach (var tp in member.AssignedPartitions.All().Concat(member.PartitionsPendingRevocation.All()))
        {
            if (_partitionEpochs.TryGetValue(tp, out var epoch) && epoch != member.MemberEpoch)
            {
                throw new InvalidOperationException(
                    $"group {GroupId}: cannot give {tp.TopicId}-{tp.Partition} to {member.MemberId} at epoch {member.MemberEpoch}: still owned at epoch {epoch}");
            }
            _partitionEpochs[tp] = member.MemberEpoch;
        }
    }
}
