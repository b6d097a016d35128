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
/// A classic (JoinGroup/SyncGroup) group: members, generation, selected protocol, committed offsets.
/// Mutated only under the coordinator's lock.
/// </summary>
public sealed class ClassicGroup(string groupId)
{
    public string GroupId { get; } = groupId;

    public GroupState State { get; set; } = GroupState.Empty;

    public int GenerationId { get; set; }

    public string? ProtocolType { get; set; }

    public string? ProtocolName { get; set; }

    public string? LeaderId { get; set; }

    public Dictionary<string, GroupMember> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet (v4+ flow).</summary>
    public Dictionary<string, long> PendingMembers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> StaticMembers { get; } = new(StringComparer.Ordinal);

    public Dictionary<(string Topic, int Partition), CommittedOffset> Offsets { get; } = new();

    /// <summary>When the rebalance gives up on members that did not rejoin.</summary>
    public long JoinDeadlineMs { get; set; }

    /// <summary>The first rebalance of an empty group waits this long for more members.</summary>
    public long InitialDelayUntilMs { get; set; }

    public static string StateName(GroupState state) => state switch
    {
        GroupState.PreparingRebalance => "PreparingRebalance",
        GroupState.CompletingRebalance => "CompletingRebalance",
        GroupState.Stable => "Stable",
        GroupState.Dead => "Dead",
        _ => "Empty",
    };

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
        return protocolType == ProtocolType && protocols.Exists(p => Members.Values.All(m => m.Supports(p.Name)));
    }
}

public readonly record struct CommittedOffset(long Offset, int LeaderEpoch, string? Metadata, long CommitTimestampMs);
