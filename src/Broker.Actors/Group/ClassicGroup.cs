namespace Broker.Actors.Group;

public enum GroupState
{
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

/// <summary>
/// A classic (JoinGroup/SyncGroup) group: members, generation, selected protocol. Owned by one
/// <see cref="GroupCoordinatorShard"/> and touched only on its thread.
/// </summary>
public sealed class ClassicGroup(string groupId) : Group(groupId)
{
    public GroupState State { get; private set; } = GroupState.Empty;

    /// <summary>When <see cref="State"/> last changed (ms since the epoch); GroupMetadataValue.currentStateTimestamp.</summary>
    public long CurrentStateTimestampMs { get; set; } = -1;

    public int GenerationId { get; set; }

    public string? ProtocolTypeOrNull { get; set; }

    public string? ProtocolName { get; set; }

    public string? LeaderId { get; set; }

    private readonly Dictionary<string, GroupMember> _members = new(StringComparer.Ordinal);

    /// <summary>How many members support each protocol name: Kafka's supportedProtocols, so a join and
    /// the protocol selection cost O(protocols) and O(members), not a scan of every member per protocol.</summary>
    private readonly Dictionary<string, int> _protocolSupport = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, GroupMember> Members => _members;

    /// <summary>Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet (v4+ flow).</summary>
    public HashSet<string> PendingMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Members of this generation that have not sent SyncGroup yet (removed at the sync deadline).</summary>
    public HashSet<string> PendingSyncMembers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> StaticMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Topics the members subscribe to (consumer protocol), computed per generation; null when unknown.</summary>
    public HashSet<string>? SubscribedTopics { get; set; }

    /// <summary>The first rebalance of an empty group waits group.initial.rebalance.delay.ms, extended while members keep arriving.</summary>
    public bool InInitialDelay { get; set; }

    public bool NewMemberAdded { get; set; }

    public long InitialDelayRemainingMs { get; set; }

    /// <summary>Whether the group ever had members (a commit-only "simple" group has none).</summary>
    public bool HadMembers => ProtocolTypeOrNull is not null;

    public override string GroupType => "classic";

    public override string StateName => StateNameOf(State);

    public override string ProtocolType => ProtocolTypeOrNull ?? string.Empty;

    public override bool IsEmpty => State == GroupState.Empty;

    public override bool IsDead => State == GroupState.Dead;

    public override long? EmptySinceMs => State == GroupState.Empty && HadMembers && CurrentStateTimestampMs >= 0 ? CurrentStateTimestampMs : null;

    public override bool IsSubscribedToTopic(string topic) => SubscribedTopics is null || SubscribedTopics.Contains(topic);


    public void TransitionTo(GroupState state, long nowMs)
    {
        State = state;
        CurrentStateTimestampMs = nowMs;
    }

    public static string StateNameOf(GroupState state) => state switch
    {
        GroupState.PreparingRebalance => "PreparingRebalance",
        GroupState.CompletingRebalance => "CompletingRebalance",
        GroupState.Stable => "Stable",
        GroupState.Dead => "Dead",
        _ => "Empty",
    };

    public bool AllMembersJoined()
    {
        if (PendingMembers.Count > 0)
        {
            return false;
        }
        foreach (var m in Members.Values)
        {
            if (m.AwaitingJoin is null)
            {
                return false;
            }
        }
        return true;
    }

    public void AddMember(GroupMember member)
    {
        RemoveMember(member.MemberId, out _);
        _members[member.MemberId] = member;
        CountProtocols(member.Protocols, +1);
    }

    public bool RemoveMember(string memberId, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out GroupMember member)
    {
        if (!_members.Remove(memberId, out member))
        {
            return false;
        }
        CountProtocols(member.Protocols, -1);
        return true;
    }

    /// <summary>A static member's restart: the same member object under the id just handed out.</summary>
    public void RenameMember(GroupMember member, string newMemberId)
    {
        _members.Remove(member.MemberId);
        member.MemberId = newMemberId;
        _members[newMemberId] = member;
    }

    public void SetProtocols(GroupMember member, List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols)
    {
        var counted = _members.TryGetValue(member.MemberId, out var current) && ReferenceEquals(current, member);
        if (counted)
        {
            CountProtocols(member.Protocols, -1);
        }
        member.Protocols = protocols;
        if (counted)
        {
            CountProtocols(protocols, +1);
        }
    }

    private void CountProtocols(List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols, int delta)
    {
        foreach (var (name, _) in protocols)
        {
            var count = _protocolSupport.GetValueOrDefault(name) + delta;
            if (count == 0)
            {
                _protocolSupport.Remove(name);
            }
            else
            {
                _protocolSupport[name] = count;
            }
        }
    }

    private bool SupportedByAll(string protocol) => _protocolSupport.GetValueOrDefault(protocol) == _members.Count;

    /// <summary>Kafka's choice: among protocols every member supports, the one most members prefer
    /// (each member votes for its first protocol that every member supports; ties go to the first
    /// member's order).</summary>
    public string? SelectProtocol()
    {
        if (_members.Count == 0)
        {
            return null;
        }
        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        List<(string Name, ReadOnlyMemory<byte> Metadata)>? first = null;
        foreach (var m in _members.Values)
        {
            first ??= m.Protocols;
            foreach (var (name, _) in m.Protocols)
            {
                if (SupportedByAll(name))
                {
                    votes[name] = votes.GetValueOrDefault(name) + 1;
                    break;
                }
            }
        }
        string? best = null;
        var bestVotes = -1;
        foreach (var (candidate, _) in first!)
        {
            if (votes.TryGetValue(candidate, out var count) && count > bestVotes)
            {
                best = candidate;
                bestVotes = count;
            }
        }
        return best;
    }

    /// <summary>A joining member must share the protocol type and at least one protocol with the group.</summary>
    public bool SupportsProtocols(string protocolType, List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols)
    {
        if (_members.Count == 0)
        {
            return protocolType.Length > 0 && protocols.Count > 0;
        }
        return protocolType == ProtocolTypeOrNull && protocols.Exists(p => SupportedByAll(p.Name));
    }

    /// <summary>The topics of every member's subscription (consumer protocol); null if one cannot be read.</summary>
    public HashSet<string>? ComputeSubscribedTopics()
    {
        if (ProtocolTypeOrNull != ConsumerProtocol.ProtocolType || ProtocolName is null)
        {
            return null;
        }
        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in Members.Values)
        {
            if (!ConsumerProtocol.TryAddSubscribedTopics(m.MetadataFor(ProtocolName), topics))
            {
                return null;
            }
        }
        return topics;
    }
}

public readonly record struct CommittedOffset(long Offset, int LeaderEpoch, string? Metadata, long CommitTimestampMs);
