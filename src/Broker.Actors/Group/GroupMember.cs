namespace Broker.Actors.Group;

/// <summary>One member of a classic group: its protocols, timeouts and the answer it is waiting for. Touched only on its shard's thread.</summary>
public sealed class GroupMember(string memberId, string? groupInstanceId, string clientId, string clientHost)
{
    public string MemberId { get; set; } = memberId;

    public string? GroupInstanceId { get; } = groupInstanceId;

    public string ClientId { get; } = clientId;

    public string ClientHost { get; } = clientHost;

    public int SessionTimeoutMs { get; set; }

    public int RebalanceTimeoutMs { get; set; }

    public string ProtocolType { get; set; } = string.Empty;

    /// <summary>The member's protocols in its order of preference, with their metadata.</summary>
    public List<(string Name, ReadOnlyMemory<byte> Metadata)> Protocols { get; set; } = [];

    public ReadOnlyMemory<byte> Assignment { get; set; }

    /// <summary>Set while a JoinGroup waits for the rebalance to complete.</summary>
    public Action<JoinResult>? AwaitingJoin { get; set; }

    /// <summary>Set while a SyncGroup waits for the leader's assignment.</summary>
    public Action<SyncResult>? AwaitingSync { get; set; }

    public long LastHeartbeatMs { get; set; }

    public bool IsAwaiting => AwaitingJoin is not null || AwaitingSync is not null;

    public ReadOnlyMemory<byte> MetadataFor(string protocol)
    {
        foreach (var p in Protocols)
        {
            if (p.Name == protocol)
            {
                return p.Metadata;
            }
        }
        return ReadOnlyMemory<byte>.Empty;
    }

    public bool Supports(string protocol) => Protocols.Exists(p => p.Name == protocol);

    public bool SameProtocols(List<(string Name, ReadOnlyMemory<byte> Metadata)> other)
    {
        if (other.Count != Protocols.Count)
        {
            return false;
        }
        for (var i = 0; i < other.Count; i++)
        {
            if (other[i].Name != Protocols[i].Name || !other[i].Metadata.Span.SequenceEqual(Protocols[i].Metadata.Span))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>What a JoinGroup gets back; Members is filled for the leader only. SkipAssignment (v9+, KIP-814): the
/// leader learns it leads but must not compute an assignment (a restarted static leader of a stable group).</summary>
public sealed record JoinResult(short ErrorCode, int GenerationId, string? ProtocolType, string? ProtocolName, string Leader, string MemberId,
    IReadOnlyList<(string MemberId, string? GroupInstanceId, ReadOnlyMemory<byte> Metadata)> Members, bool SkipAssignment = false);

public sealed record SyncResult(short ErrorCode, string? ProtocolType, string? ProtocolName, ReadOnlyMemory<byte> Assignment);

/// <summary>LeaveGroup's answer: a group-level error and one entry per leaving member.</summary>
public sealed record LeaveResult(Broker.Protocol.Messages.ErrorCode Error, IReadOnlyList<(string MemberId, string? InstanceId, Broker.Protocol.Messages.ErrorCode Error)> Members);
