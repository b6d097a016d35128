using System.Buffers.Binary;
using Broker.Actors.Configs;
using Broker.Actors.Metadata;
using Broker.Actors.Raft;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Tests.Raft.Simulation;

/// <summary>
/// One node's controller in the simulation, the <see cref="ControllerActor"/>'s glue on the simulated
/// clock: replays committed batches into a real <see cref="MetadataPublisher"/>; while its Raft core leads
/// an epoch it claims it with a no-op batch (commands wait until that commits: the image then holds every
/// earlier batch), then runs one command at a time through <see cref="ControllerDecisions"/> /
/// <see cref="ControllerActor.DecideAlterPartition"/> (the actor's own rules), proposing the records in its
/// epoch and answering once they commit; it fences brokers whose sessions (its own memory, renewed on
/// activation) expired. Losing the epoch drops the queue and the command in flight (NOT_CONTROLLER).
/// </summary>
internal sealed class SimController(int nodeId, ClusterSimulationControllers world)
{
    private readonly Queue<(ControllerActor.ICommand Command, Action<object>? Reply)> _queue = new();
    private readonly Dictionary<int, long> _lastContact = [];
    private readonly HashSet<int> _contacted = [];
    private readonly Dictionary<int, long> _registrationOffsets = [];
    private int _activeEpoch = -1;
    private long _activationOffset = -1;
    private InFlight? _inFlight;
    private long _lastSessionCheck;

    private sealed record InFlight(long Offset, Func<long, object> Reply, Action<object>? ReplyTo);

    /// <summary>Internal command: fence brokers whose sessions expired.</summary>
    private sealed record FenceExpired(IReadOnlyList<int> BrokerIds) : ControllerActor.ICommand;

    public int NodeId { get; } = nodeId;

    public MetadataPublisher Publisher { get; private set; } = new(ClusterSimulationControllers.ClusterId);

    public MetadataImage Image => Publisher.Current;

    public bool IsActive => _activeEpoch >= 0 && _activationOffset < 0;

    public int QueueLength => _queue.Count;

    /// <summary>A new process: empty image (replay starts again), no controller state.</summary>
    public void Reset()
    {
        Publisher = new MetadataPublisher(ClusterSimulationControllers.ClusterId);
        Deactivate();
        _registrationOffsets.Clear();
    }

    /// <summary>Replays a committed entry; true when it was a metadata batch (the image changed).</summary>
    public bool Apply(in RaftEntry entry)
    {
        if (!ControllerInvariants.IsBatch(entry))
        {
            return false;
        }
        Publisher.OnCommitted(entry.Offset, entry.Epoch, MetadataBatchCodec.Decode(entry.Value[ControllerInvariants.HeaderBytes..]));
        return true;
    }

    public void LoadSnapshot(long endOffset, ReadOnlyMemory<byte> data) =>
        Publisher.OnSnapshot(endOffset, MetadataSnapshot.Decode(data));

    public byte[] Snapshot() => MetadataSnapshot.Encode(MetadataImageRecords.ToRecords(Image), 0);

    /// <summary>A broker's request reaches this node (NOT_CONTROLLER unless it is the active controller or activating).</summary>
    public bool Submit(ControllerActor.ICommand command, Action<object>? reply)
    {
        if (_activeEpoch < 0 || _queue.Count >= 32)
        {
            return false;
        }
        _queue.Enqueue((command, reply));
        return true;
    }

    /// <summary>After every step of this node: follow leadership, complete the command in flight, run the next.</summary>
    public void Step(RaftCore core, IRaftLog log, long applied, long nowMs)
    {
        if (core.Role == RaftRole.Leader && core.Epoch != _activeEpoch)
        {
            Deactivate();
            // Claim the epoch: once a batch of ours commits, every earlier batch is committed and replayed.
            var offset = Propose(core, [new NoOpRecord()], basis: -1, nowMs);
            if (offset >= 0)
            {
                _activeEpoch = core.Epoch;
                _activationOffset = offset;
            }
            return;
        }
        if (_activeEpoch >= 0 && (core.Role != RaftRole.Leader || core.Epoch != _activeEpoch))
        {
            Deactivate();
            return;
        }
        if (_activeEpoch < 0)
        {
            return;
        }
        if (_activationOffset >= 0)
        {
            if (applied <= _activationOffset)
            {
                return;
            }
            _activationOffset = -1;
            // A new active controller gives every broker a full session from now.
            _lastContact.Clear();
            _contacted.Clear();
            foreach (var broker in Image.Brokers.Values)
            {
                _lastContact[broker.NodeId] = nowMs;
            }
            _lastSessionCheck = nowMs;
        }
        if (_inFlight is { } inFlight)
        {
            if (applied <= inFlight.Offset)
            {
                return;
            }
            if (inFlight.Offset >= log.LogStartOffset && log.Read(inFlight.Offset).Epoch != _activeEpoch)
            {
                throw new InvariantViolation($"node {NodeId} leads epoch {_activeEpoch} but its entry {inFlight.Offset} is from epoch {log.Read(inFlight.Offset).Epoch}");
            }
            _inFlight = null;
            inFlight.ReplyTo?.Invoke(inFlight.Reply(inFlight.Offset));
        }
        if (nowMs - _lastSessionCheck >= world.SessionCheckPeriodMs)
        {
            _lastSessionCheck = nowMs;
            var expired = Image.Brokers.Values
                .Where(b => !b.Fenced && nowMs - _lastContact.GetValueOrDefault(b.NodeId, nowMs) > world.SessionTimeoutMs)
                .Select(b => b.NodeId)
                .ToList();
            if (expired.Count > 0 && Execute(core, new FenceExpired(expired), null, applied, nowMs))
            {
                return;
            }
        }
        while (_inFlight is null && _queue.TryDequeue(out var next))
        {
            Execute(core, next.Command, next.Reply, applied, nowMs);
        }
    }

    /// <summary>Decides a command on the current image; true when its records are now in flight.</summary>
    private bool Execute(RaftCore core, ControllerActor.ICommand command, Action<object>? replyTo, long applied, long nowMs)
    {
        var image = Image;
        IReadOnlyList<IKafkaMessage> records;
        Func<long, object> reply;
        switch (command)
        {
            case ControllerActor.RegisterBroker m:
            {
                var sessionHeld = _contacted.Contains(m.BrokerId) && nowMs - _lastContact.GetValueOrDefault(m.BrokerId) <= world.SessionTimeoutMs;
                var (answer, recs) = ControllerDecisions.RegisterBroker(image, m, sessionHeld, world.BrokerValues);
                records = recs;
                if (recs.Count > 0)
                {
                    _lastContact[m.BrokerId] = nowMs;
                    _contacted.Add(m.BrokerId);
                }
                reply = offset =>
                {
                    ControllerDecisions.CatchUpAfter(_registrationOffsets, m.BrokerId, offset);
                    return answer;
                };
                break;
            }
            case ControllerActor.BrokerHeartbeat m:
            {
                var (answer, recs) = ControllerDecisions.Heartbeat(image, m,
                    _registrationOffsets.TryGetValue(m.BrokerId, out var registered) ? registered : null, world.BrokerValues);
                if (answer.Error == ErrorCode.None)
                {
                    _lastContact[m.BrokerId] = nowMs;
                    _contacted.Add(m.BrokerId);
                }
                records = recs;
                reply = _ => answer;
                break;
            }
            case FenceExpired m:
                records = ControllerDecisions.FenceBrokers(image, m.BrokerIds, world.BrokerValues);
                reply = offset =>
                {
                    foreach (var id in m.BrokerIds)
                    {
                        ControllerDecisions.CatchUpAfter(_registrationOffsets, id, offset);
                    }
                    return true;
                };
                break;
            case ControllerActor.AllocateProducerIds m:
            {
                var (block, record) = ControllerDecisions.AllocateProducerIds(image, m.BrokerId, m.BrokerEpoch, ControllerActor.ProducerIdBlockSize);
                records = [record];
                reply = _ =>
                {
                    world.Invariants.HandedOut(block);
                    return block;
                };
                break;
            }
            case ControllerActor.AlterPartition m:
            {
                var (outcome, record) = ControllerActor.DecideAlterPartition(image, m.Proposal);
                records = record is null ? [] : [record];
                reply = _ => outcome;
                break;
            }
            case ControllerActor.CreateTopics m:
            {
                var settings = world.Settings(NodeId);
                var results = ControllerDecisions.CreateTopics(image, settings, m, world.NewTopicId, world.Random, out var recs);
                records = recs;
                reply = _ => results;
                break;
            }
            default:
                throw new InvalidOperationException($"the simulation has no {command.GetType().Name}");
        }
        if (records.Count == 0)
        {
            replyTo?.Invoke(reply(image.Offset));
            return false;
        }
        var at = Propose(core, records, applied, nowMs);
        if (at < 0)
        {
            Deactivate();
            return false;
        }
        _inFlight = new InFlight(at, reply, replyTo);
        return true;
    }

    private long Propose(RaftCore core, IReadOnlyList<IKafkaMessage> records, long basis, long nowMs)
    {
        var batch = MetadataBatchCodec.Encode(records);
        var value = new byte[ControllerInvariants.HeaderBytes + batch.Length];
        BinaryPrimitives.WriteInt64LittleEndian(value, world.NextProposalId());
        BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(8), basis);
        batch.CopyTo(value.AsSpan(ControllerInvariants.HeaderBytes));
        return core.Propose(value, nowMs);
    }

    private void Deactivate()
    {
        _activeEpoch = -1;
        _activationOffset = -1;
        _inFlight = null;
        _queue.Clear();
        _lastContact.Clear();
        _contacted.Clear();
    }
}

/// <summary>The simulation's broker config (defaults; unclean election comes from topic configs).</summary>
internal static class SimBrokerConfig
{
    public static readonly ConfigValues Defaults = BrokerConfigs.Definition.ParseAll(new Dictionary<string, string?> { ["node.id"] = "1", ["process.roles"] = "broker,controller" });
}
