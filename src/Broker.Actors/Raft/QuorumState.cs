namespace Broker.Actors.Raft;

/// <summary>
/// What a quorum member must remember across restarts (Kafka's quorum-state file): the latest epoch it
/// knows, the leader of that epoch if known, and whom it voted for in that epoch. Persisted before any
/// message that depends on it is sent, so a restarted node never votes twice or leads twice in an epoch.
/// </summary>
public readonly record struct QuorumStateData(int LeaderEpoch, int LeaderId, int VotedId)
{
    public static readonly QuorumStateData Initial = new(0, -1, -1);
}

/// <summary>Durable store of <see cref="QuorumStateData"/>; <see cref="Write"/> returns once it is durable.</summary>
public interface IQuorumStateStore
{
    QuorumStateData Read();

    void Write(QuorumStateData state);
}

/// <summary>An in-memory store for tests and the simulation: every write is durable (it survives <c>Crash</c>).</summary>
public sealed class InMemoryQuorumStateStore : IQuorumStateStore
{
    private QuorumStateData _state = QuorumStateData.Initial;

    public int Writes { get; private set; }

    public QuorumStateData Read() => _state;

    public void Write(QuorumStateData state)
    {
        _state = state;
        Writes++;
    }
}
