namespace Broker.Actors.Storage;

/// <summary>One appended batch of an idempotent producer: enough to answer a retry with its offsets.</summary>
public readonly record struct BatchMetadata(int FirstSeq, int LastSeq, long FirstOffset, long LastOffset, long Timestamp);

/// <summary>What the log remembers about one producer id: its epoch and its last few batches.</summary>
public sealed class ProducerStateEntry
{
    /// <summary>Kafka keeps the last 5 batches: a producer has at most 5 requests in flight.</summary>
    public const int NumBatchesToRetain = 5;

    private readonly List<BatchMetadata> _batches = new(NumBatchesToRetain);

    public ProducerStateEntry(long producerId, short epoch)
    {
        ProducerId = producerId;
        ProducerEpoch = epoch;
    }

    public long ProducerId { get; }
    public short ProducerEpoch { get; private set; }
    public int CoordinatorEpoch { get; set; } = -1;
    public long LastTimestamp { get; private set; } = -1;
    public IReadOnlyList<BatchMetadata> Batches => _batches;
    public bool IsEmpty => _batches.Count == 0;
    public int LastSeq => _batches.Count == 0 ? -1 : _batches[^1].LastSeq;
    public long LastOffset => _batches.Count == 0 ? -1 : _batches[^1].LastOffset;

    public void Add(short epoch, in BatchMetadata batch)
    {
        if (epoch != ProducerEpoch)
        {
            // A new epoch starts a new sequence space: older batches cannot be duplicates any more.
            _batches.Clear();
            ProducerEpoch = epoch;
        }
        if (_batches.Count == NumBatchesToRetain)
        {
            _batches.RemoveAt(0);
        }
        _batches.Add(batch);
        LastTimestamp = Math.Max(LastTimestamp, batch.Timestamp);
    }

    internal void Restore(int coordinatorEpoch, long lastTimestamp)
    {
        CoordinatorEpoch = coordinatorEpoch;
        LastTimestamp = lastTimestamp;
    }

    public BatchMetadata? FindDuplicate(short epoch, int firstSeq, int lastSeq)
    {
        if (epoch != ProducerEpoch)
        {
            return null;
        }
        foreach (var b in _batches)
        {
            if (b.FirstSeq == firstSeq && b.LastSeq == lastSeq)
            {
                return b;
            }
        }
        return null;
    }
}
