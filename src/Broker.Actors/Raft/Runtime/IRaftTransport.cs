namespace Broker.Actors.Raft.Runtime;

/// <summary>
/// Sends a Raft request to another quorum member and returns its response. The broker's implementation
/// speaks the Kafka protocol over <c>NodeConnectionPool</c> (Broker.Host); tests may loop back in memory.
/// Failures (no connection, timeout) throw: the core resends after <c>controller.quorum.request.timeout.ms</c>.
/// </summary>
public interface IRaftTransport
{
    Task<RaftMessage> SendAsync(int destination, RaftMessage request, CancellationToken cancellationToken);
}

/// <summary>What the node that runs a <see cref="RaftActor"/> learns from it, on the actor's thread.</summary>
public interface IRaftListener
{
    /// <summary>The latest snapshot, once at start when there is one and whenever a fetched snapshot replaces the log.
    /// Entries delivered afterwards continue from its end offset.</summary>
    void OnSnapshot(RaftSnapshot snapshot);

    /// <summary>One committed entry; called in offset order, each offset once per process.</summary>
    void OnCommitted(in RaftEntry entry);

    /// <summary>The epoch or the known leader changed (leader -1: unknown).</summary>
    void OnLeaderChange(int leaderId, int epoch);
}

/// <summary>A published view of the quorum member, readable from any thread.</summary>
public sealed record RaftStatus(int NodeId, RaftRole Role, int LeaderId, int Epoch, long HighWatermark, long LogStartOffset, long EndOffset)
{
    public static RaftStatus Initial(int nodeId) => new(nodeId, RaftRole.Unattached, -1, 0, 0, 0, 0);
}

/// <summary>A transport's failure that proves the destination's process is gone (its port refuses connections),
/// unlike a timeout, which a paused or cut-off member causes too.</summary>
public sealed class RaftPeerGoneException(int destination, string message, Exception? inner = null) : Exception(message, inner)
{
    public int Destination { get; } = destination;
}

/// <summary>Proposing failed because this node is not (or no longer) the leader of the epoch asked for.</summary>
public sealed class RaftNotLeaderException(string message) : Exception(message);

/// <summary>A request from another member, answered through <see cref="Reply"/> (once, maybe much later: long-poll).</summary>
public sealed record RaftInbound(int Source, RaftMessage Request, Action<RaftMessage> Reply);

/// <summary>Leader only: append <see cref="Value"/> in <see cref="Epoch"/>; <see cref="Done"/> gets its offset once committed.</summary>
public sealed record RaftPropose(int Epoch, ReadOnlyMemory<byte> Value, TaskCompletionSource<long> Done);

/// <summary>Snapshot the state machine at <see cref="EndOffset"/> (committed) and delete the log behind it.</summary>
public sealed record RaftCreateSnapshot(long EndOffset, ReadOnlyMemory<byte> Data);

/// <summary>Give up leadership gracefully (EndQuorumEpoch), e.g. before a controlled shutdown.</summary>
public sealed record RaftResign;
