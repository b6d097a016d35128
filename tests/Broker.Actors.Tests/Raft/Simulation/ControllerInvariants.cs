using System.Buffers.Binary;
using Broker.Actors.Metadata;
using Broker.Actors.Raft;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Tests.Raft.Simulation;

/// <summary>
/// The controller's safety properties, checked on the committed metadata log in commit order (a
/// reference image replayed from it) and against every node's own image:
/// every node's image built from a committed prefix equals the reference image of that prefix (replay is
/// deterministic, snapshots included); a partition leader is in its ISR and its replicas, or none (-1);
/// the ISR is never empty unless there is no leader; leader and partition epochs only grow; a broker
/// fenced by a fencing record leads nothing while it stays fenced; producer id blocks never overlap;
/// broker epochs only grow; and a batch was decided on an image holding every earlier committed batch
/// (no lost update after a failover).
/// </summary>
internal sealed class ControllerInvariants
{
    /// <summary>A controller entry's value: proposal id (8 bytes), basis (8: log entries its image had
    /// replayed when it decided; -1 for the activation no-op, which reads nothing), then the batch.</summary>
    public const int HeaderBytes = 16;

    private MetadataDelta _delta = new(MetadataDelta.Empty(ClusterSimulationControllers.ClusterId));
    private MetadataImage _image = MetadataDelta.Empty(ClusterSimulationControllers.ClusterId);
    private readonly List<ulong> _imageHashAfter = [ImageHash(MetadataDelta.Empty(ClusterSimulationControllers.ClusterId))];
    private readonly Dictionary<(Guid, int), (int LeaderEpoch, int PartitionEpoch)> _epochs = [];
    private readonly Dictionary<int, long> _brokerEpochs = [];
    private readonly HashSet<int> _fencedByRecord = [];
    private readonly SortedDictionary<long, long> _handedOut = [];
    private long _lastBatchOffset = -1;

    public int Batches { get; private set; }

    public int PartitionChanges { get; private set; }

    public int Fencings { get; private set; }

    public int BlocksHandedOut => _handedOut.Count;

    /// <summary>Is this entry a controller batch (as opposed to the Raft simulation's 8-byte proposals)?</summary>
    public static bool IsBatch(in RaftEntry entry) => entry.Type == RaftRecordType.Data && entry.Value.Length > HeaderBytes;

    /// <summary>The next committed entry (offset = count of committed entries before it).</summary>
    public void OnCommitted(RaftEntry entry)
    {
        if (!IsBatch(entry))
        {
            _imageHashAfter.Add(_imageHashAfter[^1]);
            return;
        }
        var basis = BinaryPrimitives.ReadInt64LittleEndian(entry.Value.Span[8..]);
        if (basis >= 0 && basis <= _lastBatchOffset)
        {
            throw new InvariantViolation(
                $"controller batch at {entry.Offset} (epoch {entry.Epoch}) was decided on {basis} replayed entries, missing the committed batch at {_lastBatchOffset} (lost update)");
        }
        _lastBatchOffset = entry.Offset;
        Batches++;
        var records = MetadataBatchCodec.Decode(entry.Value[HeaderBytes..]);
        try
        {
            foreach (var record in records)
            {
                Before(entry.Offset, record);
                _delta.Replay(record);
            }
            _image = _delta.Apply(entry.Offset);
            CheckImage(entry.Offset);
        }
        catch (InvariantViolation e)
        {
            throw new InvariantViolation($"{e.Message}\nthe batch (epoch {entry.Epoch}, decided on {basis} entries): {string.Join("; ", records.Select(Describe))}");
        }
        _imageHashAfter.Add(ImageHash(_image));
    }

    /// <summary>What the record may do given the image before it.</summary>
    private void Before(long offset, IKafkaMessage record)
    {
        switch (record)
        {
            case ProducerIdsRecord ids when ids.NextProducerId <= _delta.Apply(offset).NextProducerId:
                throw new InvariantViolation($"ProducerIdsRecord at {offset} reserves up to {ids.NextProducerId}, not past the reserved {_delta.Apply(offset).NextProducerId}");
            case RegisterBrokerRecord r:
                if (_brokerEpochs.TryGetValue(r.BrokerId, out var previous) && r.BrokerEpoch <= previous)
                {
                    throw new InvariantViolation($"broker {r.BrokerId} registered at {offset} with epoch {r.BrokerEpoch}, not above its previous {previous}");
                }
                _brokerEpochs[r.BrokerId] = r.BrokerEpoch;
                _fencedByRecord.Remove(r.BrokerId);
                break;
            case FenceBrokerRecord f:
                _fencedByRecord.Add(f.Id);
                Fencings++;
                break;
            case BrokerRegistrationChangeRecord { Fenced: 1 } c:
                _fencedByRecord.Add(c.BrokerId);
                Fencings++;
                break;
            case BrokerRegistrationChangeRecord { Fenced: -1 } c:
                _fencedByRecord.Remove(c.BrokerId);
                break;
            case UnfenceBrokerRecord u:
                _fencedByRecord.Remove(u.Id);
                break;
            case PartitionChangeRecord:
                PartitionChanges++;
                break;
        }
    }

    private void CheckImage(long offset)
    {
        foreach (var topic in _image.TopicsById.Values)
        {
            foreach (var p in topic.Partitions)
            {
                var where = $"{topic.Name}-{p.Partition} after the batch at {offset}";
                if (p.Leader != PartitionLeaderElection.NoLeader && (!p.Isr.Contains(p.Leader) || !p.Replicas.Contains(p.Leader)))
                {
                    throw new InvariantViolation($"{where}: leader {p.Leader} is not in ISR [{string.Join(",", p.Isr)}] and replicas [{string.Join(",", p.Replicas)}]");
                }
                if (p.Isr.IsEmpty && p.Leader != PartitionLeaderElection.NoLeader)
                {
                    throw new InvariantViolation($"{where}: empty ISR with leader {p.Leader}");
                }
                if (p.Isr.Any(r => !p.Replicas.Contains(r)))
                {
                    throw new InvariantViolation($"{where}: ISR [{string.Join(",", p.Isr)}] outside replicas [{string.Join(",", p.Replicas)}]");
                }
                if (p.Leader != PartitionLeaderElection.NoLeader && _fencedByRecord.Contains(p.Leader))
                {
                    throw new InvariantViolation($"{where}: leader {p.Leader} was fenced (a fencing record) and is still fenced");
                }
                if (_epochs.TryGetValue((topic.Id, p.Partition), out var before)
                    && (p.LeaderEpoch < before.LeaderEpoch || p.PartitionEpoch < before.PartitionEpoch))
                {
                    throw new InvariantViolation($"{where}: epochs went back from leader {before.LeaderEpoch} partition {before.PartitionEpoch} to {p.LeaderEpoch}/{p.PartitionEpoch}");
                }
                _epochs[(topic.Id, p.Partition)] = (p.LeaderEpoch, p.PartitionEpoch);
            }
        }
    }

    /// <summary>A record in a failure message.</summary>
    public static string Describe(IKafkaMessage record) => record switch
    {
        TopicRecord t => $"Topic {t.Name}",
        PartitionRecord p => $"Partition {p.PartitionId} replicas [{string.Join(",", p.Replicas)}] isr [{string.Join(",", p.Isr)}] leader {p.Leader}",
        PartitionChangeRecord c => $"PartitionChange {c.PartitionId} isr [{(c.Isr is null ? "-" : string.Join(",", c.Isr))}] leader {c.Leader}",
        RegisterBrokerRecord r => $"RegisterBroker {r.BrokerId} epoch {r.BrokerEpoch} fenced {r.Fenced}",
        FenceBrokerRecord f => $"FenceBroker {f.Id}",
        UnfenceBrokerRecord u => $"UnfenceBroker {u.Id}",
        BrokerRegistrationChangeRecord c => $"BrokerRegistrationChange {c.BrokerId} fenced {c.Fenced} shutdown {c.InControlledShutdown}",
        ProducerIdsRecord ids => $"ProducerIds broker {ids.BrokerId} next {ids.NextProducerId}",
        _ => record.GetType().Name,
    };

    /// <summary>A controller answered AllocateProducerIds with this block after its record committed.</summary>
    public void HandedOut(ProducerIdBlock block)
    {
        var end = block.Start + block.Length;
        foreach (var (start, otherEnd) in _handedOut)
        {
            if (start < end && block.Start < otherEnd)
            {
                throw new InvariantViolation($"producer id block [{block.Start}, {end}) overlaps [{start}, {otherEnd}) handed out before");
            }
        }
        _handedOut[block.Start] = end;
        if (end > _image.NextProducerId)
        {
            throw new InvariantViolation($"producer id block [{block.Start}, {end}) handed out beyond the committed reservation {_image.NextProducerId}");
        }
    }

    /// <summary>A node's image after replaying <paramref name="applied"/> committed entries (or a snapshot of them).</summary>
    public void CheckNodeImage(int nodeId, long applied, MetadataImage image)
    {
        if (applied >= _imageHashAfter.Count)
        {
            throw new InvariantViolation($"node {nodeId} built an image of {applied} entries, past the committed {_imageHashAfter.Count - 1}");
        }
        if (ImageHash(image) != _imageHashAfter[(int)applied])
        {
            throw new InvariantViolation($"node {nodeId} image after {applied} committed entries differs from the image replayed from the committed log (offset {image.Offset})");
        }
    }

    /// <summary>The image's content (not its offset: a snapshot's image sits at the snapshot's end, a
    /// replayed one at its last metadata batch) as one hash; ordered, so equal images hash equally.</summary>
    public static ulong ImageHash(MetadataImage image)
    {
        var h = new Hasher();
        h.Add(image.ClusterId).Add(image.NextProducerId);
        AddConfigs(h, image.BrokerConfigs);
        foreach (var b in image.Brokers.Values)
        {
            h.Add(b.NodeId).Add(b.Host).Add(b.Port).Add(b.Rack ?? "-").Add(b.Fenced ? 1 : 0).Add(b.InControlledShutdown ? 1 : 0)
                .Add(b.IncarnationId).Add(b.BrokerEpoch).Add(b.Endpoints.Length);
        }
        var topics = image.TopicsById.Values.ToArray();
        Array.Sort(topics, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var topic in topics)
        {
            h.Add(topic.Name).Add(topic.Id);
            AddConfigs(h, topic.Configs);
            foreach (var p in topic.Partitions)
            {
                h.Add(p.Partition).Add(p.Leader).Add(p.LeaderEpoch).Add(p.PartitionEpoch)
                    .Add(p.Replicas).Add(p.Isr).Add(p.AddingReplicas).Add(p.RemovingReplicas);
            }
        }
        return h.Value;
    }

    private static void AddConfigs(Hasher h, System.Collections.Immutable.ImmutableDictionary<string, string> configs)
    {
        h.Add(configs.Count);
        if (configs.Count > 0)
        {
            foreach (var (name, value) in configs.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                h.Add(name).Add(value);
            }
        }
    }

    /// <summary>FNV-1a-like, the same in every process (string.GetHashCode is not).</summary>
    private sealed class Hasher
    {
        public ulong Value { get; private set; } = 14695981039346656037UL;

        public Hasher Add(long v)
        {
            Value = Invariants.Chain(Value, 1, (ulong)v);
            return this;
        }

        public Hasher Add(string s)
        {
            var x = 14695981039346656037UL;
            foreach (var c in s)
            {
                x = (x ^ c) * 1099511628211UL;
            }
            return Add((long)x);
        }

        public Hasher Add(Guid id)
        {
            Span<byte> bytes = stackalloc byte[16];
            id.TryWriteBytes(bytes);
            return Add(BinaryPrimitives.ReadInt64LittleEndian(bytes)).Add(BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]));
        }

        public Hasher Add(System.Collections.Immutable.ImmutableArray<int> values)
        {
            Add(values.Length);
            foreach (var v in values)
            {
                Add(v);
            }
            return this;
        }
    }
}
