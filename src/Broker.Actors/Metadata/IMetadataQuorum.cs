using Broker.Protocol.Messages;

namespace Broker.Actors.Metadata;

/// <summary>The leader of the controller quorum and its epoch (-1 when unknown).</summary>
public readonly record struct QuorumLeader(int LeaderId, int Epoch)
{
    public static readonly QuorumLeader Unknown = new(-1, -1);
}

/// <summary>Receives the committed metadata log in order (on every node, controller or broker).</summary>
public interface IMetadataListener
{
    /// <summary>One committed batch of records; <paramref name="lastOffset"/> is the offset of its last record.</summary>
    void OnCommitted(long lastOffset, int epoch, IReadOnlyList<IKafkaMessage> records);

    /// <summary>The log was replaced by a snapshot (a follower far behind, or startup from a snapshot):
    /// the image is rebuilt from these records alone.</summary>
    void OnSnapshot(long endOffset, IReadOnlyList<IKafkaMessage> records);

    /// <summary>A new leader (or none) for a new epoch.</summary>
    void OnLeaderChange(QuorumLeader leader);
}

/// <summary>
/// The replicated `__cluster_metadata` log (KRaft). Single node: <c>controller.quorum.voters</c> names only
/// this node and the log is local (fsync per append). Cluster: the Raft quorum. The active controller is
/// the quorum leader; it appends record batches in its epoch and answers a command once the batch is
/// committed. Every node applies committed batches through its <see cref="IMetadataListener"/>.
/// </summary>
public interface IMetadataQuorum : IDisposable
{
    int NodeId { get; }

    QuorumLeader Leader { get; }

    /// <summary>The offset of the last committed record applied (-1 before any).</summary>
    long CommittedOffset { get; }

    /// <summary>Starts delivery: replays what is committed locally, then follows the quorum.</summary>
    void Start(IMetadataListener listener);

    /// <summary>Leader only: appends <paramref name="records"/> as one batch in <paramref name="epoch"/>. Completes
    /// with the batch's last offset once it is committed (the listener has seen it by then on this node);
    /// fails with <see cref="NotControllerException"/> when this node is not the leader of that epoch.</summary>
    Task<long> AppendAsync(int epoch, IReadOnlyList<IKafkaMessage> records);

    /// <summary>Whether this node leads <paramref name="epoch"/> with a leader lease: no other node can have been
    /// elected meanwhile, so an answer from its image (a heartbeat that commits nothing) is the active controller's.
    /// A quorum that cannot be split (one voter, or the in-process shared log) always holds it.</summary>
    bool HoldsLeaderLease(int epoch) => Leader.LeaderId == NodeId && Leader.Epoch == epoch;
}

/// <summary>This node is not the active controller (Kafka's NOT_CONTROLLER).</summary>
public sealed class NotControllerException(string message) : Exception(message);
