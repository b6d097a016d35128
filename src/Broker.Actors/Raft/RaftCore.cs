namespace Broker.Actors.Raft;

/// <summary>The role of a quorum member in its current epoch (KRaft's quorum states).</summary>
public enum RaftRole
{
    /// <summary>Knows the epoch but no leader for it; may have voted.</summary>
    Unattached,
    /// <summary>Asking for pre-votes (KIP-996) before bumping the epoch.</summary>
    Prospective,
    /// <summary>Bumped the epoch, voted for itself, asking for votes.</summary>
    Candidate,
    Leader,
    /// <summary>Knows the leader of its epoch and fetches from it.</summary>
    Follower,
    /// <summary>Was the leader of its epoch and gave it up (check-quorum or graceful resign).</summary>
    Resigned,
}

/// <summary>
/// The deterministic Raft core of the KRaft controller quorum. Inputs are messages
/// (<see cref="Handle"/>), time (<see cref="Tick"/>) and commands (<see cref="Propose"/>,
/// <see cref="Resign"/>, <see cref="CreateSnapshot"/>); outputs are the messages left in
/// <see cref="Outbox"/> and writes to the injected <see cref="IRaftLog"/> and
/// <see cref="IQuorumStateStore"/>. Quorum state is persisted before any message that depends on it
/// enters the outbox. No threads, clocks or I/O: the only randomness is the injected
/// <see cref="Random"/> that spreads election timeouts, so a seeded run replays exactly.
/// </summary>
public sealed partial class RaftCore
{
    private static readonly RaftEntry[] NoEntries = [];

    private readonly RaftConfig _config;
    private readonly IRaftLog _log;
    private readonly IQuorumStateStore _store;
    private readonly Random _random;
    private readonly List<RaftEnvelope> _outbox = new();

    private QuorumStateData _persisted;
    private long _now;
    private long _nextCorrelationId;
    private long _highWatermark;

    // Unattached, Prospective, Candidate, Resigned: when to (re)start an election.
    private long _electionDeadlineMs;

    public RaftCore(RaftConfig config, IRaftLog log, IQuorumStateStore store, Random random, long nowMs, long firstCorrelationId = 0)
    {
        _config = config;
        _log = log;
        _store = store;
        _random = random;
        _now = nowMs;
        _restartGuardUntilMs = nowMs + config.FetchTimeoutMs / 2;
        _nextCorrelationId = firstCorrelationId;
        // The snapshot is committed by construction; anything above it is re-learned from the leader.
        _highWatermark = log.LogStartOffset;
        _persisted = store.Read();
        Epoch = _persisted.LeaderEpoch;
        LeaderId = _persisted.LeaderId;
        VotedId = _persisted.VotedId;
        if (LeaderId == config.NodeId)
        {
            // We led this epoch before the restart and may have lost unflushed entries: never lead it again.
            Role = RaftRole.Resigned;
            _electionDeadlineMs = _now + RandomElectionTimeout();
        }
        else if (LeaderId >= 0)
        {
            BecomeFollowerState(heardFromLeader: false);
        }
        else
        {
            Role = RaftRole.Unattached;
            _electionDeadlineMs = _now + RandomElectionTimeout();
        }
    }

    public int NodeId => _config.NodeId;

    public RaftConfig Config => _config;

    public RaftRole Role { get; private set; }

    /// <summary>The current (latest known) leader epoch.</summary>
    public int Epoch { get; private set; }

    /// <summary>The leader of <see cref="Epoch"/>, or -1 when unknown.</summary>
    public int LeaderId { get; private set; }

    /// <summary>Whom this node voted for in <see cref="Epoch"/>, or -1.</summary>
    public int VotedId { get; private set; }

    /// <summary>Entries below this offset are committed. Only grows while the process lives.</summary>
    public long HighWatermark => _highWatermark;

    public IRaftLog Log => _log;

    /// <summary>Messages to send, in order. The caller sends them and then calls <see cref="ClearOutbox"/>.</summary>
    public IReadOnlyList<RaftEnvelope> Outbox => _outbox;

    public void ClearOutbox() => _outbox.Clear();

    /// <summary>Handles one message addressed to this node.</summary>
    public void Handle(in RaftEnvelope envelope, long nowMs)
    {
        AdvanceClock(nowMs);
        if (envelope.Destination != _config.NodeId || RejectedForeignCluster(envelope))
        {
            return;
        }
        switch (envelope.Message)
        {
            case FetchRequest m: HandleFetchRequest(envelope, m); break;
            case FetchResponse m: HandleFetchResponse(envelope, m); break;
            case VoteRequest m: HandleVoteRequest(envelope, m); break;
            case VoteResponse m: HandleVoteResponse(envelope, m); break;
            case BeginQuorumEpochRequest m: HandleBeginQuorumEpochRequest(envelope, m); break;
            case BeginQuorumEpochResponse m: HandleBeginQuorumEpochResponse(envelope, m); break;
            case EndQuorumEpochRequest m: HandleEndQuorumEpochRequest(envelope, m); break;
            case EndQuorumEpochResponse m: ObserveLeader(m.LeaderId, m.LeaderEpoch); break;
            case FetchSnapshotRequest m: HandleFetchSnapshotRequest(envelope, m); break;
            case FetchSnapshotResponse m: HandleFetchSnapshotResponse(envelope, m); break;
            case DescribeQuorumRequest: HandleDescribeQuorumRequest(envelope); break;
        }
    }

    /// <summary>Time as a message: fires whichever timers are due at <paramref name="nowMs"/>.</summary>
    public void Tick(long nowMs)
    {
        AdvanceClock(nowMs);
        switch (Role)
        {
            case RaftRole.Leader:
                TickLeader();
                break;
            case RaftRole.Follower:
                TickFollower();
                break;
            case RaftRole.Prospective:
            case RaftRole.Candidate:
                if (_now >= _electionDeadlineMs)
                {
                    StartElection();
                }
                else
                {
                    ResendVoteRequests();
                }
                break;
            default:
                if (_now >= _electionDeadlineMs)
                {
                    StartElection();
                }
                break;
        }
    }

    /// <summary>A request stamped with another cluster's id gets INCONSISTENT_CLUSTER_ID and changes nothing,
    /// so a misconfigured node cannot vote in or fetch from the wrong quorum.</summary>
    private bool RejectedForeignCluster(in RaftEnvelope envelope)
    {
        var clusterId = envelope.Message switch
        {
            VoteRequest m => m.ClusterId,
            BeginQuorumEpochRequest m => m.ClusterId,
            EndQuorumEpochRequest m => m.ClusterId,
            FetchRequest m => m.ClusterId,
            FetchSnapshotRequest m => m.ClusterId,
            _ => null,
        };
        if (clusterId is null || _config.ClusterId is null || clusterId == _config.ClusterId)
        {
            return false;
        }
        const short error = RaftErrors.InconsistentClusterId;
        RaftMessage response = envelope.Message switch
        {
            VoteRequest => new VoteResponse(error, LeaderId, Epoch, false),
            BeginQuorumEpochRequest => new BeginQuorumEpochResponse(error, LeaderId, Epoch),
            EndQuorumEpochRequest => new EndQuorumEpochResponse(error, LeaderId, Epoch),
            FetchRequest => FetchError(error),
            FetchSnapshotRequest m => new FetchSnapshotResponse(error, m.SnapshotId, new LeaderIdAndEpoch(LeaderId, Epoch), -1, -1, ReadOnlyMemory<byte>.Empty),
            _ => throw new InvalidOperationException("unreachable"),
        };
        Reply(envelope, response);
        return true;
    }

    private void AdvanceClock(long nowMs)
    {
        // The core runs on monotonic time: a wall clock stepping back must not un-expire timers.
        if (nowMs > _now)
        {
            _now = nowMs;
        }
    }

    private int RandomElectionTimeout() => _config.ElectionTimeoutMs + _random.Next(_config.ElectionTimeoutMs);

    private long SendRequest(int destination, RaftMessage message)
    {
        var id = _nextCorrelationId++;
        _outbox.Add(new RaftEnvelope(_config.NodeId, destination, id, message));
        return id;
    }

    private void Reply(in RaftEnvelope request, RaftMessage message) =>
        _outbox.Add(new RaftEnvelope(_config.NodeId, request.Source, request.CorrelationId, message));

    /// <summary>Durably records the quorum state; always before the messages that depend on it are emitted.</summary>
    private void Persist(int epoch, int leaderId, int votedId)
    {
        if (epoch < Epoch)
        {
            throw new InvalidOperationException($"node {NodeId}: epoch would go back from {Epoch} to {epoch}");
        }
        Epoch = epoch;
        LeaderId = leaderId;
        VotedId = votedId;
        var state = new QuorumStateData(epoch, leaderId, votedId);
        if (state != _persisted)
        {
            _store.Write(state);
            _persisted = state;
        }
    }

    /// <summary>Leaves whatever role we had (dropping its volatile state) and becomes unattached in <paramref name="epoch"/>.</summary>
    private void TransitionToUnattached(int epoch, int votedId)
    {
        LeaveRole();
        Persist(epoch, -1, votedId);
        Role = RaftRole.Unattached;
        _electionDeadlineMs = _now + RandomElectionTimeout();
    }

    private void TransitionToFollower(int epoch, int leaderId)
    {
        LeaveRole();
        Persist(epoch, leaderId, epoch == Epoch ? VotedId : -1);
        BecomeFollowerState(heardFromLeader: true);
        SendFetch();
    }

    private void LeaveRole()
    {
        _parkedFetches.Clear();
        _replicas.Clear();
        _pendingFetchId = -1;
        _snapshotFetch = null;
        _leaderResigned = false;
        _firstUnflushedAppendMs = -1;
        _lastFetchToLeaderMs = long.MinValue / 2;
    }

    /// <summary>
    /// What every response and request teaches: a higher epoch (follow its leader if named, else be
    /// unattached), or the leader of our own epoch when we did not know it.
    /// </summary>
    private void ObserveLeader(int leaderId, int epoch)
    {
        if (epoch > Epoch)
        {
            if (leaderId >= 0 && leaderId != NodeId)
            {
                TransitionToFollower(epoch, leaderId);
            }
            else
            {
                TransitionToUnattached(epoch, -1);
            }
        }
        else if (epoch == Epoch && leaderId >= 0 && leaderId != NodeId && LeaderId < 0
                 && Role is RaftRole.Unattached or RaftRole.Prospective or RaftRole.Candidate)
        {
            TransitionToFollower(epoch, leaderId);
        }
    }
}
