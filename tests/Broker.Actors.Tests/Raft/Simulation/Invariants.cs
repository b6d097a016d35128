using Broker.Actors.Raft;

namespace Broker.Actors.Tests.Raft.Simulation;

/// <summary>A broken safety or liveness property; the message names the node and what was seen.</summary>
internal sealed class InvariantViolation(string message) : Exception(message);

/// <summary>
/// The safety properties checked after every simulation step, incrementally so a step costs O(1)
/// amortized: at most one leader per epoch; committed entries (below any node's HW) never change;
/// a node's epoch never goes back (even across restarts) and its HW never goes back while it lives;
/// every leader's log holds every committed entry; the state machine built from the log (and from
/// snapshots) equals the committed history.
/// </summary>
internal sealed class Invariants
{
    private readonly Dictionary<int, int> _leaderOfEpoch = new();
    private readonly List<CommittedEntry> _committed = new();
    private readonly HashSet<long> _committedProposals = new();
    private readonly Dictionary<(int Node, int Epoch), int> _votes = new();
    private readonly NodeWatch[] _nodes;

    public Invariants(int nodeCount)
    {
        _nodes = new NodeWatch[nodeCount + 1];
        for (var i = 1; i <= nodeCount; i++)
        {
            _nodes[i] = new NodeWatch();
        }
    }

    /// <summary>One committed log position: what it holds and the state-machine hash after applying it.</summary>
    /// <summary>A committed entry; <paramref name="KnownCommittedInEpoch"/> is the epoch of the node whose HW first
    /// covered it (the epoch it was committed in, or later).</summary>
    public readonly record struct CommittedEntry(int Epoch, ulong ValueHash, ulong ChainHash, int KnownCommittedInEpoch);

    private sealed class NodeWatch
    {
        public int Epoch;
        public long HighWatermark;
        public long CheckedUpTo;
        public int LeaderEpochChecked = -1;
    }

    public int CommittedCount => _committed.Count;

    /// <summary>Each newly committed entry, in log order, once (for checks built on the committed log).</summary>
    public event Action<RaftEntry>? Committed;

    public int EpochsWithLeader => _leaderOfEpoch.Count;

    public bool IsCommitted(long proposalId) => _committedProposals.Contains(proposalId);

    /// <summary>The state-machine hash after applying every entry below <paramref name="offset"/>.</summary>
    public ulong ChainHashAt(long offset) => offset == 0 ? 0 : _committed[(int)(offset - 1)].ChainHash;

    /// <summary>A restarted node re-learns its HW; its epoch must survive (it is persisted).</summary>
    public void OnRestart(int nodeId, RaftCore core)
    {
        var watch = _nodes[nodeId];
        if (core.Epoch < watch.Epoch)
        {
            throw new InvariantViolation($"node {nodeId} restarted at epoch {core.Epoch}, below its persisted {watch.Epoch}");
        }
        watch.HighWatermark = core.HighWatermark;
        watch.CheckedUpTo = core.Log.LogStartOffset;
        watch.LeaderEpochChecked = -1;
    }

    public void Check(int nodeId, RaftCore core, InMemoryRaftLog log, IQuorumStateStore store)
    {
        var watch = _nodes[nodeId];
        // Persist before send: whatever the messages of this step rely on is already durable.
        var persisted = store.Read();
        if (persisted != new QuorumStateData(core.Epoch, core.LeaderId, core.VotedId))
        {
            throw new InvariantViolation(
                $"node {nodeId} acts on epoch {core.Epoch} leader {core.LeaderId} vote {core.VotedId} but persisted {persisted}");
        }
        if (core.VotedId >= 0)
        {
            if (_votes.TryGetValue((nodeId, core.Epoch), out var voted) && voted != core.VotedId)
            {
                throw new InvariantViolation($"node {nodeId} voted twice in epoch {core.Epoch}: for {voted}, then for {core.VotedId}");
            }
            _votes[(nodeId, core.Epoch)] = core.VotedId;
        }
        if (core.Epoch < watch.Epoch)
        {
            throw new InvariantViolation($"node {nodeId} epoch went back from {watch.Epoch} to {core.Epoch}");
        }
        watch.Epoch = core.Epoch;
        var hw = core.HighWatermark;
        if (hw < watch.HighWatermark)
        {
            throw new InvariantViolation($"node {nodeId} high watermark went back from {watch.HighWatermark} to {hw}");
        }
        watch.HighWatermark = hw;
        if (hw > log.EndOffset || hw < log.LogStartOffset)
        {
            throw new InvariantViolation($"node {nodeId} high watermark {hw} outside its log [{log.LogStartOffset}, {log.EndOffset})");
        }

        var truncatedTo = log.TakeLowestTruncation();
        if (truncatedTo < watch.CheckedUpTo)
        {
            if (truncatedTo < hw)
            {
                throw new InvariantViolation($"node {nodeId} truncated its log to {truncatedTo}, below its high watermark {hw}");
            }
            watch.CheckedUpTo = truncatedTo;
        }
        watch.CheckedUpTo = Math.Max(watch.CheckedUpTo, log.LogStartOffset);

        // Everything below the HW is committed: it must match what was committed before, or extend it.
        for (var offset = watch.CheckedUpTo; offset < hw; offset++)
        {
            var entry = log.Read(offset);
            if (offset < _committed.Count)
            {
                var committed = _committed[(int)offset];
                if (committed.Epoch != entry.Epoch || committed.ValueHash != HashValue(entry))
                {
                    throw new InvariantViolation(
                        $"node {nodeId} holds entry {offset} epoch {entry.Epoch} below its HW {hw}, but epoch {committed.Epoch} was committed there");
                }
            }
            else if (offset == _committed.Count)
            {
                Commit(entry, core.Epoch);
            }
            else
            {
                throw new InvariantViolation($"node {nodeId} HW {hw} covers offset {offset}, past the committed end {_committed.Count} with a gap");
            }
        }
        watch.CheckedUpTo = Math.Max(watch.CheckedUpTo, hw);

        if (core.Role == RaftRole.Leader)
        {
            if (_leaderOfEpoch.TryGetValue(core.Epoch, out var leader) && leader != nodeId)
            {
                throw new InvariantViolation($"two leaders in epoch {core.Epoch}: {leader} and {nodeId}");
            }
            _leaderOfEpoch[core.Epoch] = nodeId;
            if (watch.LeaderEpochChecked != core.Epoch)
            {
                watch.LeaderEpochChecked = core.Epoch;
                CheckLeaderCompleteness(nodeId, core.Epoch, log);
            }
        }
    }

    /// <summary>Every committed entry must be in the log of every later leader (Raft's leader completeness): of the
    /// epochs after the one it was committed in. A leader of an earlier epoch (a candidate paused before it counted
    /// its votes, that wins once resumed) may lack it: it can commit nothing, everyone else being in later epochs.</summary>
    private void CheckLeaderCompleteness(int nodeId, int epoch, InMemoryRaftLog log)
    {
        var required = _committed.Count;
        while (required > 0 && _committed[required - 1].KnownCommittedInEpoch > epoch)
        {
            required--;
        }
        CheckLeaderHolds(nodeId, epoch, log, required);
    }

    private void CheckLeaderHolds(int nodeId, int epoch, InMemoryRaftLog log, int required)
    {
        if (required == 0)
        {
            return;
        }
        if (log.LogStartOffset > _committed.Count)
        {
            throw new InvariantViolation($"leader {nodeId} epoch {epoch} log starts at {log.LogStartOffset}, past the committed end {_committed.Count}");
        }
        if (log.EndOffset < required)
        {
            throw new InvariantViolation($"leader {nodeId} epoch {epoch} log ends at {log.EndOffset}, missing committed entries up to {required}");
        }
        if (log.LatestSnapshot is { } snapshot && log.LogStartOffset > 0 && snapshot.Id.Offset == log.LogStartOffset
            && snapshot.Id.Epoch != _committed[(int)(snapshot.Id.Offset - 1)].Epoch)
        {
            throw new InvariantViolation($"leader {nodeId} snapshot {snapshot.Id} disagrees with the committed epoch");
        }
        for (var offset = log.LogStartOffset; offset < required; offset++)
        {
            var entry = log.Read(offset);
            var committed = _committed[(int)offset];
            if (committed.Epoch != entry.Epoch || committed.ValueHash != HashValue(entry))
            {
                throw new InvariantViolation($"leader {nodeId} epoch {epoch} lacks committed entry {offset} (has epoch {entry.Epoch}, committed {committed.Epoch})");
            }
        }
    }

    /// <summary>The node's applied state (from its log and snapshots) must equal the committed history.</summary>
    public void CheckStateMachine(int nodeId, long appliedOffset, ulong stateHash)
    {
        if (appliedOffset > _committed.Count)
        {
            throw new InvariantViolation($"node {nodeId} applied up to {appliedOffset}, past the committed end {_committed.Count}");
        }
        if (ChainHashAt(appliedOffset) != stateHash)
        {
            throw new InvariantViolation($"node {nodeId} state at offset {appliedOffset} differs from the committed history");
        }
    }

    private void Commit(in RaftEntry entry, int reportedInEpoch)
    {
        var valueHash = HashValue(entry);
        var chain = Chain(ChainHashAt(_committed.Count), entry.Epoch, valueHash);
        _committed.Add(new CommittedEntry(entry.Epoch, valueHash, chain, reportedInEpoch));
        // Plain proposals are 8 bytes; controller batches start with their proposal id too.
        if (entry.Type == RaftRecordType.Data && entry.Value.Length >= 8)
        {
            var proposal = BitConverter.ToInt64(entry.Value.Span);
            if (!_committedProposals.Add(proposal))
            {
                throw new InvariantViolation($"proposal {proposal} committed twice (second at offset {entry.Offset})");
            }
        }
        Committed?.Invoke(entry);
    }

    public static ulong HashValue(in RaftEntry entry)
    {
        // FNV-1a over the type and the value bytes.
        var hash = 14695981039346656037UL ^ (ulong)entry.Type;
        hash *= 1099511628211UL;
        foreach (var b in entry.Value.Span)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }

    public static ulong Chain(ulong previous, int epoch, ulong valueHash)
    {
        var hash = previous ^ ((ulong)(uint)epoch * 0x9E3779B97F4A7C15UL) ^ valueHash;
        hash ^= hash >> 33;
        hash *= 0xFF51AFD7ED558CCDUL;
        hash ^= hash >> 33;
        return hash;
    }
}
