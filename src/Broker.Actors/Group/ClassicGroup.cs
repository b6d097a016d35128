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

    public Dictionary<string, GroupMember> Members { get; } = new(StringComparer.Ordinal);

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

    /// <summary>Kafka's choice: among protocols every member supports, the one most members prefer.</summary>
    public string? SelectProtocol()
    {
        string? best = null;
        var bestVotes = -1;
        var first = Members.Values.FirstOrDefault();
        if (first is null)
        {
            return null;
        }
        foreach (var (candidate, _) in first.Protocols)
        {
            if (!Members.Values.All(m => m.Supports(candidate)))
            {
                continue;
            }
            var votes = 0;
            foreach (var m in Members.Values)
            {
                var preferred = m.Protocols.First(p => Members.Values.All(o => o.Supports(p.Name))).Name;
                if (preferred == candidate)
                {
                    votes++;
                }
            }
            if (votes > bestVotes)
            {
                best = candidate;
                bestVotes = votes;
            }
        }
        return best;
    }

    /// <summary>A joining member must share the protocol type and at least one protocol with the group.</summary>
    public bool SupportsProtocols(string protocolType, List<(string Name, ReadOnlyMemory<byte> Metadata)> protocols)
    {
        if (Members.Count == 0)
        {
            return protocolType.Length > 0 && protocols.Count > 0;
        }
        return protocolType == ProtocolTypeOrNull && protocols.Exists(p => Members.Values.All(m => m.Supports(p.Name)));
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
