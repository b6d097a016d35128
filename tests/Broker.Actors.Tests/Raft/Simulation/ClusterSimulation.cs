using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Broker.Actors.Raft;

namespace Broker.Actors.Tests.Raft.Simulation;

/// <summary>What a simulated run did, for the report and the determinism check.</summary>
internal readonly record struct SimulationResult(
    long Steps, long SimulatedMs, long MessagesSent, int Committed, int LeaderEpochs, int Crashes, int SnapshotsInstalled, ulong Fingerprint,
    int ControllerBatches = 0, int PartitionChanges = 0, int Fencings = 0, int ProducerIdBlocks = 0, long LeaseHolders = 0);

/// <summary>
/// A seeded, replayable cluster of Raft cores on a <see cref="SimulatedNetwork"/>: a chaos phase (loss,
/// duplication, reordering, symmetric and asymmetric partitions, crashes that may lose unflushed writes,
/// restarts, pauses (SIGSTOP: messages wait for the process), clock jumps, resignations, client proposals, snapshots), then a healed phase that must elect
/// a leader and commit new proposals within a bound. <see cref="Invariants"/> run after every step. Same
/// seed, same run: the only randomness is the seeded <see cref="Random"/> instances.
/// With <c>controllers</c>, every node also runs the controller (<see cref="ClusterSimulationControllers"/>)
/// over its core, and <see cref="ControllerInvariants"/> check the committed metadata and every node's image.
/// </summary>
internal sealed class ClusterSimulation
{
    private const int TickMs = 10;
    private const int LivenessBoundMs = 15_000;

    private readonly int _seed;
    private readonly Random _random;
    private readonly SimulatedNetwork _network;
    private readonly Invariants _invariants;
    private readonly SimNode[] _nodes;
    private readonly int[] _voters;
    private readonly PriorityQueue<SimEvent, (long Time, long Seq)> _events = new();
    private readonly List<RaftEnvelope> _sendBuffer = new();
    private readonly TraceRing _trace = new(48);
    private readonly bool _traceAll;
    private readonly long _chaosEndMs;
    private readonly int _snapshotEvery;
    private readonly bool _preVote;
    private readonly int _fetchMaxEntries;
    private readonly int _appendLingerMs;
    private readonly ClusterSimulationControllers? _controllers;
    private long _seq;
    private long _now;
    private long _steps;
    private long _nextProposal = 1;
    private long _healedAtMs = -1;
    private long _firstPostHealProposal = -1;
    private long _livenessMetAtMs = -1;
    private long _lastClockJumpMs = long.MinValue / 2;
    private int _leaseHolder;
    private long _leaseChecks;
    private int _crashes;
    private int _snapshotsInstalled;
    private ulong _fingerprint = 14695981039346656037UL;

    public ClusterSimulation(int seed, int nodeCount, bool traceAll = false, bool controllers = false)
    {
        _seed = seed;
        _traceAll = traceAll;
        _random = new Random(seed);
        _network = new SimulatedNetwork(new Random(seed ^ 0x5EED), nodeCount);
        _invariants = new Invariants(nodeCount);
        _voters = Enumerable.Range(1, nodeCount).ToArray();
        _nodes = new SimNode[nodeCount + 1];
        _chaosEndMs = 2_000 + _random.Next(4_000);
        // Some runs never snapshot; the others snapshot often enough that followers need FetchSnapshot.
        _snapshotEvery = _random.Next(3) == 0 ? int.MaxValue : 8 + _random.Next(40);
        // Half the runs elect without pre-vote, so the plain Vote rules are exercised on their own.
        _preVote = _random.Next(2) == 0;
        _fetchMaxEntries = 1 + _random.Next(8);
        _appendLingerMs = _random.Next(50);
        _network.LossRate = _random.NextDouble() * 0.1;
        _network.DuplicateRate = _random.NextDouble() * 0.1;
        _network.MaxDelayMs = 2 + _random.Next(25);
        if (controllers)
        {
            _controllers = new ClusterSimulationControllers(seed, nodeCount, () => _nextProposal++);
            _invariants.Committed += _controllers.Invariants.OnCommitted;
            Schedule(_controllers.Random.Next(20, 80), new SimEvent(EventKind.Broker, 0));
        }
        for (var id = 1; id <= nodeCount; id++)
        {
            _nodes[id] = new SimNode(id);
            StartNode(_nodes[id]);
        }
        Schedule(_random.Next(50, 300), new SimEvent(EventKind.Chaos, 0));
        Schedule(_random.Next(20, 80), new SimEvent(EventKind.Propose, 0));
    }

    private enum EventKind { Tick, Chaos, Propose, Restart, Broker }

    private readonly record struct SimEvent(EventKind Kind, int Node, int Incarnation = 0);

    private sealed class SimNode(int id)
    {
        public int Id { get; } = id;
        public InMemoryRaftLog Log { get; } = new();
        public InMemoryQuorumStateStore Store { get; } = new();
        public RaftCore? Core { get; set; }
        public int Incarnation { get; set; }
        public long ClockOffsetMs { get; set; }
        /// <summary>SIGSTOP: until then (global time) the node neither ticks nor reads a message; its clock runs on.</summary>
        public long PausedUntilMs { get; set; }
        public long Applied { get; set; }
        public ulong StateHash { get; set; }
    }

    public int Seed => _seed;

    public SimulationResult Run()
    {
        try
        {
            while (_livenessMetAtMs < 0 || _now < _livenessMetAtMs + 2_000)
            {
                Step();
                if (_steps > 3_000_000)
                {
                    throw new InvariantViolation("the run did not finish within 3,000,000 steps");
                }
                if (_healedAtMs >= 0 && _livenessMetAtMs < 0 && _now > _healedAtMs + LivenessBoundMs)
                {
                    throw new InvariantViolation($"no proposal committed within {LivenessBoundMs} ms after the network healed at {_healedAtMs} ms");
                }
            }
            CheckCaughtUp();
        }
        catch (Exception e) when (e is InvariantViolation or InvalidOperationException or ArgumentOutOfRangeException)
        {
            throw new SimulationFailure(Describe(e), e);
        }
        var checks = _controllers?.Invariants;
        return new SimulationResult(_steps, _now, _network.Sent, _invariants.CommittedCount, _invariants.EpochsWithLeader,
            _crashes, _snapshotsInstalled, _fingerprint,
            checks?.Batches ?? 0, checks?.PartitionChanges ?? 0, checks?.Fencings ?? 0, checks?.BlocksHandedOut ?? 0, _leaseChecks);
    }

    private string Describe(Exception e)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"seed={_seed} nodes={_nodes.Length - 1} step={_steps} time={_now}ms: {e.Message}");
        var test = _controllers is null ? "RaftSimulationTests" : "ControllerSimulationTests";
        text.AppendLine().Append(CultureInfo.InvariantCulture, $"replay: RAFT_SEED={_seed} RAFT_NODES={_nodes.Length - 1} RAFT_TRACE=1 dotnet test tests/Broker.Actors.Tests -c Release --filter FullyQualifiedName~{test}");
        text.AppendLine().AppendLine("last steps:");
        _trace.AppendTo(text);
        if (e is not InvariantViolation)
        {
            text.AppendLine(e.StackTrace);
        }
        return text.ToString();
    }

    private void Schedule(long delayMs, SimEvent e) => _events.Enqueue(e, (_now + delayMs, _seq++));

    private void Step()
    {
        _steps++;
        var haveEvent = _events.TryPeek(out _, out var eventAt);
        if (_network.TryPeekTime(out var messageAt) && (!haveEvent || messageAt <= eventAt.Time))
        {
            _now = messageAt;
            if (!_network.Dequeue(out var message))
            {
                return;
            }
            var node = _nodes[message.Envelope.Destination];
            if (node.Core is null || node.Incarnation != message.DestinationIncarnation)
            {
                return; // the process (or the connection it was sent on) is gone
            }
            if (_now < node.PausedUntilMs)
            {
                _network.Hold(message, node.PausedUntilMs);
                return;
            }
            Trace(node.Id, message.Envelope.Message, message.Envelope.Source);
            node.Core.Handle(message.Envelope, NodeClock(node));
            AfterStep(node);
            return;
        }
        var e = _events.Dequeue();
        _now = eventAt.Time;
        switch (e.Kind)
        {
            case EventKind.Tick:
                var ticked = _nodes[e.Node];
                if (ticked.Core is null || ticked.Incarnation != e.Incarnation)
                {
                    return;
                }
                if (_now < ticked.PausedUntilMs)
                {
                    Schedule(ticked.PausedUntilMs - _now, e);
                    return;
                }
                ticked.Core.Tick(NodeClock(ticked));
                AfterStep(ticked);
                Schedule(TickMs + _random.Next(5), e);
                break;
            case EventKind.Chaos:
                if (_now < _chaosEndMs)
                {
                    Chaos();
                    Schedule(_random.Next(50, 400), e);
                }
                else
                {
                    Heal();
                }
                break;
            case EventKind.Restart:
                var rebooted = _nodes[e.Node];
                if (rebooted.Core is null)
                {
                    StartNode(rebooted);
                    TraceText($"restart {rebooted.Id}");
                }
                break;
            case EventKind.Propose:
                Propose();
                Schedule(_controllers is null ? _random.Next(5, 60) : _random.Next(50, 200), e);
                break;
            case EventKind.Broker:
                var asked = _controllers!.BrokerEvent(_nodes.Skip(1).Where(n => n.Core is { Role: RaftRole.Leader } && _now >= n.PausedUntilMs).Select(n => n.Id).ToList());
                if (asked > 0)
                {
                    AfterStep(_nodes[asked]);
                }
                Schedule(_controllers.Random.Next(5, 25), e);
                break;
        }
    }

    private long NodeClock(SimNode node) => _now + node.ClockOffsetMs;

    private void AfterStep(SimNode node)
    {
        var core = node.Core!;
        _fingerprint = Invariants.Chain(_fingerprint, core.Epoch, (ulong)core.HighWatermark ^ ((ulong)core.Role << 56) ^ (ulong)node.Id);
        _invariants.Check(node.Id, core, node.Log, node.Store);
        CheckLeaderLeases();
        ApplyCommitted(node);
        _controllers?[node.Id].Step(core, node.Log, node.Applied, NodeClock(node));
        _sendBuffer.Clear();
        _sendBuffer.AddRange(core.Outbox);
        core.ClearOutbox();
        foreach (var envelope in _sendBuffer)
        {
            if (_traceAll)
            {
                Console.WriteLine(FormattableString.Invariant($"{_now,7} send {envelope.Source}->{envelope.Destination} #{envelope.CorrelationId} {envelope.Message}"));
            }
            _network.Send(envelope, _now, _nodes[envelope.Destination].Incarnation);
        }
    }

    /// <summary>The controller's part: apply committed entries (loading a snapshot when the log starts past
    /// what we applied), then snapshot now and then. Checked against the committed history.</summary>
    private void ApplyCommitted(SimNode node)
    {
        var core = node.Core!;
        var log = node.Log;
        var imageChanged = false;
        while (node.Applied < core.HighWatermark)
        {
            if (node.Applied < log.LogStartOffset)
            {
                var snapshot = log.LatestSnapshot!;
                node.StateHash = BinaryPrimitives.ReadUInt64LittleEndian(snapshot.Data.Span);
                var end = BinaryPrimitives.ReadInt64LittleEndian(snapshot.Data.Span[8..]);
                if (end != snapshot.Id.Offset)
                {
                    throw new InvariantViolation($"node {node.Id} snapshot {snapshot.Id} holds state for offset {end}");
                }
                node.Applied = snapshot.Id.Offset;
                _controllers?[node.Id].LoadSnapshot(snapshot.Id.Offset, snapshot.Data[ControllerSnapshotHeader..]);
                imageChanged = true;
                _snapshotsInstalled++;
                continue;
            }
            var entry = log.Read(node.Applied);
            node.StateHash = Invariants.Chain(node.StateHash, entry.Epoch, Invariants.HashValue(entry));
            imageChanged |= _controllers?[node.Id].Apply(entry) ?? false;
            node.Applied++;
        }
        _invariants.CheckStateMachine(node.Id, node.Applied, node.StateHash);
        if (_controllers is not null && imageChanged)
        {
            _controllers.Invariants.CheckNodeImage(node.Id, node.Applied, _controllers[node.Id].Image);
        }
        if (node.Applied - log.LogStartOffset >= _snapshotEvery)
        {
            // 48 bytes: hash, end offset, padding, so a FetchSnapshot takes several 16-byte chunks.
            // With controllers: hash, end offset, then the image as a metadata snapshot (Kafka's .checkpoint).
            var image = _controllers?[node.Id].Snapshot();
            var data = new byte[image is null ? 48 : ControllerSnapshotHeader + image.Length];
            image?.CopyTo(data.AsSpan(ControllerSnapshotHeader));
            BinaryPrimitives.WriteUInt64LittleEndian(data, node.StateHash);
            BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), node.Applied);
            if (!core.CreateSnapshot(node.Applied, data))
            {
                throw new InvariantViolation($"node {node.Id} could not snapshot at applied offset {node.Applied} (HW {core.HighWatermark})");
            }
        }
    }

    private const int ControllerSnapshotHeader = 16;

    private void StartNode(SimNode node)
    {
        node.Incarnation++;
        node.PausedUntilMs = 0;
        var config = new RaftConfig(node.Id, _voters)
        {
            ClusterId = "sim",
            ElectionTimeoutMs = 150,
            ElectionBackoffMaxMs = 150,
            FetchTimeoutMs = 300,
            // The lease assumes no fetch is resent within a fetch timeout (Kafka's defaults: 2 s each), so the runs that
            // check it (pre-vote) use that; the others resend sooner, as under a shorter controller.quorum.request.timeout.ms.
            RequestTimeoutMs = _preVote ? 300 : 200,
            FetchMaxWaitMs = 100,
            FetchMaxEntries = _fetchMaxEntries,
            PreVote = _preVote,
            AppendLingerMs = _appendLingerMs,
            SnapshotChunkBytes = _controllers is null ? 16 : 1024,
        };
        // Not HashCode.Combine: it is seeded per process, and a seed must replay in a new process too.
        var random = new Random((int)(Invariants.Chain((ulong)_seed, node.Id, (ulong)node.Incarnation) & int.MaxValue));
        // Correlation ids of each incarnation come from their own range, as a new process has new connections.
        node.Core = new RaftCore(config, node.Log, node.Store, random, NodeClock(node), (long)node.Incarnation << 40);
        node.Applied = 0;
        node.StateHash = 0;
        _controllers?[node.Id].Reset();
        node.Log.TakeLowestTruncation();
        _invariants.OnRestart(node.Id, node.Core);
        Schedule(_random.Next(TickMs), new SimEvent(EventKind.Tick, node.Id, node.Incarnation));
    }

    private void Crash(SimNode node, bool loseUnflushed)
    {
        node.Core = null;
        node.Log.Crash(loseUnflushed);
        _crashes++;
    }

    private void Chaos()
    {
        var node = _nodes[1 + _random.Next(_nodes.Length - 1)];
        var roll = _random.Next(100);
        string action;
        if (roll < 18)
        {
            if (node.Core is null)
            {
                StartNode(node);
                action = $"restart {node.Id}";
            }
            else
            {
                var lose = _random.Next(2) == 0;
                Crash(node, lose);
                action = $"crash {node.Id} loseUnflushed={lose}";
            }
        }
        else if (roll < 34)
        {
            // A reboot: down for a moment only, so it comes back while the election it voted in goes on.
            var leader = CurrentLeader();
            var victim = leader is not null && _random.Next(2) == 0 ? leader : node;
            if (victim.Core is not null)
            {
                Crash(victim, loseUnflushed: true);
                Schedule(_random.Next(1, 100), new SimEvent(EventKind.Restart, victim.Id));
                action = $"reboot {victim.Id}";
            }
            else
            {
                var down = _nodes.Skip(1).FirstOrDefault(n => n.Core is null);
                if (down is not null)
                {
                    StartNode(down);
                }
                action = $"restart {down?.Id}";
            }
        }
        else if (roll < 42)
        {
            var side = _voters.Where(_ => _random.Next(2) == 0).ToHashSet();
            _network.Partition(side);
            action = $"partition {{{string.Join(",", side)}}}";
        }
        else if (roll < 50)
        {
            var from = 1 + _random.Next(_nodes.Length - 1);
            var to = 1 + _random.Next(_nodes.Length - 1);
            _network.Block(from, to);
            action = $"block {from}->{to}";
        }
        else if (roll < 58)
        {
            var leader = CurrentLeader();
            if (leader is not null)
            {
                foreach (var other in _voters)
                {
                    if (other != leader.Id)
                    {
                        _network.Block(leader.Id, other);
                        _network.Block(other, leader.Id);
                    }
                }
            }
            action = $"isolate leader {leader?.Id}";
        }
        else if (roll < 72)
        {
            _network.HealAll();
            action = "heal";
        }
        else if (roll < 76)
        {
            // SIGSTOP, the leader half the time: long enough for the others to elect, then it reads what queued up.
            var leader = CurrentLeader();
            var victim = leader is not null && _random.Next(2) == 0 ? leader : node;
            victim.PausedUntilMs = Math.Max(victim.PausedUntilMs, _now + _random.Next(100, 1_500));
            action = $"pause {victim.Id} until {victim.PausedUntilMs}";
        }
        else if (roll < 82)
        {
            var jump = _random.Next(-1_000, 3_000);
            node.ClockOffsetMs += jump;
            _lastClockJumpMs = _now;
            action = $"clock {node.Id} {jump:+#;-#;0}ms";
        }
        else if (roll < 88)
        {
            var leader = CurrentLeader();
            if (leader is not null && _now >= leader.PausedUntilMs)
            {
                leader.Core!.Resign(NodeClock(leader));
                AfterStep(leader);
            }
            action = $"resign {leader?.Id}";
        }
        else
        {
            _network.LossRate = _random.NextDouble() * 0.3;
            _network.DuplicateRate = _random.NextDouble() * 0.2;
            action = FormattableString.Invariant($"loss={_network.LossRate:F2} dup={_network.DuplicateRate:F2}");
        }
        TraceText(action);
    }

    private void Heal()
    {
        _network.HealAll();
        _network.LossRate = 0;
        foreach (var node in _nodes.Skip(1))
        {
            if (node.Core is null)
            {
                StartNode(node);
            }
        }
        _healedAtMs = _now;
        TraceText("heal all, restart all, no loss");
    }

    /// <summary>
    /// At no time do two nodes hold a leader lease (<see cref="RaftCore.LeaderLeaseUntilMs"/> past their clock).
    /// Checked under the lease's assumptions: pre-vote on, and clocks that run at one rate: a clock jump (up to
    /// 1 s back, 3 s forward) voids the check until every lease and promise made before it has run out. Crashes,
    /// reboots, loss, duplication and (a)symmetric partitions all stay on.
    /// </summary>
    private void CheckLeaderLeases()
    {
        if (!_preVote || _now < _lastClockJumpMs + 3_000)
        {
            return;
        }
        var holder = 0;
        foreach (var node in _nodes.Skip(1))
        {
            if (node.Core is { Role: RaftRole.Leader } core && core.LeaderLeaseUntilMs > NodeClock(node))
            {
                if (holder != 0)
                {
                    var other = _nodes[holder];
                    throw new InvariantViolation(
                        $"nodes {holder} (epoch {other.Core!.Epoch}, lease until {other.Core.LeaderLeaseUntilMs - other.ClockOffsetMs}) and {node.Id} " +
                        $"(epoch {core.Epoch}, lease until {core.LeaderLeaseUntilMs - node.ClockOffsetMs}) both hold a leader lease");
                }
                holder = node.Id;
            }
        }
        if (holder != 0 && holder != _leaseHolder)
        {
            _leaseChecks++;
        }
        _leaseHolder = holder;
    }

    private SimNode? CurrentLeader()
    {
        SimNode? best = null;
        foreach (var node in _nodes.Skip(1))
        {
            if (node.Core is { Role: RaftRole.Leader } core && (best is null || core.Epoch > best.Core!.Epoch))
            {
                best = node;
            }
        }
        return best;
    }

    private void Propose()
    {
        // The client sends to whichever node it believes leads; a stale leader may accept and lose it.
        var leaders = _nodes.Skip(1).Where(n => n.Core is { Role: RaftRole.Leader } && _now >= n.PausedUntilMs).ToList();
        if (leaders.Count > 0)
        {
            var leader = leaders[_random.Next(leaders.Count)];
            var id = _nextProposal++;
            var value = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(value, id);
            var offset = leader.Core!.Propose(value, NodeClock(leader));
            if (offset >= 0 && _healedAtMs >= 0 && _firstPostHealProposal < 0)
            {
                _firstPostHealProposal = id;
            }
            AfterStep(leader);
        }
        if (_firstPostHealProposal >= 0 && _livenessMetAtMs < 0 && AnyPostHealCommitted())
        {
            _livenessMetAtMs = _now;
            foreach (var n in _nodes.Skip(1))
            {
                _hwAtLiveness[n.Id] = n.Core?.HighWatermark ?? 0;
            }
            TraceText("liveness: post-heal proposal committed");
        }
    }

    private bool AnyPostHealCommitted()
    {
        for (var id = _firstPostHealProposal; id < _nextProposal; id++)
        {
            if (_invariants.IsCommitted(id))
            {
                return true;
            }
        }
        return false;
    }

    private readonly Dictionary<int, long> _hwAtLiveness = [];

    /// <summary>
    /// After the healed run every live node must have caught up to a recent commit point, or at least
    /// be catching up: a follower far behind that fetches one entry per round trip (small fetch sizes
    /// are chosen per seed) is slow, not stuck.
    /// </summary>
    private void CheckCaughtUp()
    {
        var leader = CurrentLeader() ?? throw new InvariantViolation("no leader at the end of the healed phase");
        if (_controllers is not null && !_controllers[leader.Id].IsActive)
        {
            throw new InvariantViolation($"node {leader.Id} leads epoch {leader.Core!.Epoch} 2 s after a commit in the healed network, but its controller is not active");
        }
        var target = Math.Min(leader.Core!.HighWatermark, _invariants.CommittedCount);
        foreach (var node in _nodes.Skip(1))
        {
            var progressed = _hwAtLiveness.TryGetValue(node.Id, out var before) && node.Core!.HighWatermark > before + 16;
            if (node.Core!.HighWatermark < target - 64 && node.Core.Role != RaftRole.Leader && !progressed)
            {
                throw new InvariantViolation($"node {node.Id} HW {node.Core.HighWatermark} has not caught up with leader {leader.Id} HW {target} 2 s after a commit in the healed network");
            }
        }
    }

    private void Trace(int node, RaftMessage message, int from)
    {
        _trace.Add(_now, node, from, message);
        if (_traceAll)
        {
            Console.WriteLine(FormattableString.Invariant($"{_now,7} node {node} <- {from}: {message}"));
        }
    }

    private void TraceText(string text)
    {
        _trace.Add(_now, 0, 0, text);
        if (_traceAll)
        {
            Console.WriteLine(FormattableString.Invariant($"{_now,7} chaos: {text}"));
        }
    }

    /// <summary>The last few steps, kept as references and formatted only when a run fails.</summary>
    private sealed class TraceRing(int capacity)
    {
        private readonly (long Time, int Node, int From, object What)[] _items = new (long, int, int, object)[capacity];
        private long _count;

        public void Add(long time, int node, int from, object what) => _items[_count++ % _items.Length] = (time, node, from, what);

        public void AppendTo(StringBuilder text)
        {
            for (var i = Math.Max(0, _count - _items.Length); i < _count; i++)
            {
                var (time, node, from, what) = _items[i % _items.Length];
                text.AppendLine(node == 0
                    ? FormattableString.Invariant($"  {time,7} chaos: {what}")
                    : FormattableString.Invariant($"  {time,7} node {node} <- {from}: {what}"));
            }
        }
    }
}

/// <summary>A failed seed: the message says how to replay it.</summary>
internal sealed class SimulationFailure(string message, Exception inner) : Exception(message, inner);
