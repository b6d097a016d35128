using Broker.Protocol.Messages;

namespace Broker.Actors.Storage;

/// <summary>
/// Idempotent-producer state of one partition log (Kafka's ProducerStateManager): per producer id
/// the epoch and last 5 batches, used to answer a retried batch with its original offsets, to reject
/// sequence gaps and fenced epochs. Owned by the log's writer; rebuilt on open from the newest
/// <c>&lt;offset&gt;.snapshot</c> plus the log after it.
/// </summary>
public sealed partial class ProducerStateManager
{
    private readonly Dictionary<long, ProducerStateEntry> _producers = [];
    private readonly List<Pending> _pending = [];

    private readonly record struct Pending(long ProducerId, short Epoch, int FirstSeq, int LastSeq);

    public ProducerStateManager(string dir) => Dir = dir;

    /// <summary>The partition directory holding the snapshots; it follows a rename (<see cref="Log"/> deletion).</summary>
    public string Dir { get; internal set; }

    /// <summary>The log offset up to which this state reflects the log (exclusive).</summary>
    public long MapEndOffset { get; private set; }

    public int ProducerCount => _producers.Count;

    public ProducerStateEntry? Get(long producerId) => _producers.GetValueOrDefault(producerId);

    public IReadOnlyCollection<ProducerStateEntry> Producers => _producers.Values;

    /// <summary>Starts checking one append (several batches may come from one producer).</summary>
    public void BeginAppend() => _pending.Clear();

    /// <summary>
    /// Checks a client batch of an idempotent producer against its state and earlier batches of the
    /// same append. Returns an error code (0 = ok); <paramref name="duplicate"/> is set when the batch
    /// was already appended (the caller answers with its original offsets and appends nothing).
    /// </summary>
    public ErrorCode Check(long producerId, short epoch, int firstSeq, int lastSeq, out BatchMetadata? duplicate)
    {
        duplicate = null;
        var committed = _producers.GetValueOrDefault(producerId);
        var pendingIndex = _pending.Count - 1;
        while (pendingIndex >= 0 && _pending[pendingIndex].ProducerId != producerId)
        {
            pendingIndex--;
        }
        short currentEpoch;
        int currentLastSeq;
        bool known;
        if (pendingIndex >= 0)
        {
            var p = _pending[pendingIndex];
            (currentEpoch, currentLastSeq, known) = (p.Epoch, p.LastSeq, true);
        }
        else if (committed is not null)
        {
            duplicate = committed.FindDuplicate(epoch, firstSeq, lastSeq);
            if (duplicate is not null)
            {
                return ErrorCode.None;
            }
            (currentEpoch, currentLastSeq, known) = (committed.ProducerEpoch, committed.LastSeq, true);
        }
        else
        {
            (currentEpoch, currentLastSeq, known) = (-1, -1, false);
        }

        if (known && epoch < currentEpoch)
        {
            return ErrorCode.InvalidProducerEpoch;
        }
        if (!known || currentEpoch < 0)
        {
            // Unknown producer (new, or its state expired / was removed by retention): since Kafka 2.5
            // (KIP-360) any sequence is accepted and starts the producer's state.
        }
        else if (epoch != currentEpoch)
        {
            if (firstSeq != 0)
            {
                return ErrorCode.OutOfOrderSequenceNumber;
            }
        }
        else if (!InSequence(currentLastSeq, firstSeq))
        {
            return ErrorCode.OutOfOrderSequenceNumber;
        }
        _pending.Add(new Pending(producerId, epoch, firstSeq, lastSeq));
        return ErrorCode.None;
    }

    private static bool InSequence(int lastSeq, int nextSeq) =>
        nextSeq == lastSeq + 1 || (nextSeq == 0 && lastSeq == int.MaxValue);

    /// <summary>Records an appended batch (leader after a successful write, follower, or recovery replay).</summary>
    public void Update(long producerId, short epoch, in BatchMetadata batch)
    {
        if (producerId < 0)
        {
            return;
        }
        if (!_producers.TryGetValue(producerId, out var entry))
        {
            entry = new ProducerStateEntry(producerId, epoch);
            _producers[producerId] = entry;
        }
        entry.Add(epoch, batch);
    }

    public void UpdateMapEndOffset(long offset) => MapEndOffset = offset;

    /// <summary>Forgets producers idle for <paramref name="expirationMs"/> (producer.id.expiration.ms).</summary>
    public int RemoveExpiredProducers(long nowMs, long expirationMs)
    {
        List<long>? expired = null;
        foreach (var (pid, entry) in _producers)
        {
            if (nowMs - entry.LastTimestamp >= expirationMs)
            {
                (expired ??= []).Add(pid);
            }
        }
        if (expired is null)
        {
            return 0;
        }
        foreach (var pid in expired)
        {
            _producers.Remove(pid);
        }
        return expired.Count;
    }

    /// <summary>Drops all state (before a reload from a snapshot).</summary>
    public void Clear(long mapEndOffset)
    {
        _producers.Clear();
        _pending.Clear();
        MapEndOffset = mapEndOffset;
    }
}
