using System.Buffers.Binary;
using Broker.Protocol.Records;

namespace Broker.Actors.Storage;

/// <summary>
/// Snapshot files <c>&lt;offset&gt;.snapshot</c>: the producer state as of a log offset, so opening a log
/// replays only the batches after it. Layout (big-endian): version int16, crc32c uint32 of the rest,
/// count int32, then per producer: id int64, epoch int16, coordinatorEpoch int32, lastTimestamp int64,
/// batch count int8 and per batch firstSeq int32, lastSeq int32, firstOffset int64, lastOffset int64,
/// timestamp int64.
/// </summary>
public sealed partial class ProducerStateManager
{
    public const string SnapshotSuffix = ".snapshot";
    private const short SnapshotVersion = 1;
    private const int HeaderSize = 2 + 4 + 4;
    private const int ProducerSize = 8 + 2 + 4 + 8 + 1;
    private const int BatchSize = 4 + 4 + 8 + 8 + 8;
    /// <summary>How many snapshots to keep: the newest few cover a truncation by a follower.</summary>
    private const int SnapshotsToKeep = 3;

    /// <summary>Writes the state as of <see cref="MapEndOffset"/>.</summary>
    public void TakeSnapshot()
    {
        var size = HeaderSize;
        foreach (var e in _producers.Values)
        {
            size += ProducerSize + e.Batches.Count * BatchSize;
        }
        var buffer = new byte[size];
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteInt16BigEndian(span, SnapshotVersion);
        BinaryPrimitives.WriteInt32BigEndian(span.Slice(6), _producers.Count);
        var pos = HeaderSize;
        foreach (var e in _producers.Values)
        {
            BinaryPrimitives.WriteInt64BigEndian(span.Slice(pos), e.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(span.Slice(pos + 8), e.ProducerEpoch);
            BinaryPrimitives.WriteInt32BigEndian(span.Slice(pos + 10), e.CoordinatorEpoch);
            BinaryPrimitives.WriteInt64BigEndian(span.Slice(pos + 14), e.LastTimestamp);
            span[pos + 22] = (byte)e.Batches.Count;
            pos += ProducerSize;
            foreach (var b in e.Batches)
            {
                BinaryPrimitives.WriteInt32BigEndian(span.Slice(pos), b.FirstSeq);
                BinaryPrimitives.WriteInt32BigEndian(span.Slice(pos + 4), b.LastSeq);
                BinaryPrimitives.WriteInt64BigEndian(span.Slice(pos + 8), b.FirstOffset);
                BinaryPrimitives.WriteInt64BigEndian(span.Slice(pos + 16), b.LastOffset);
                BinaryPrimitives.WriteInt64BigEndian(span.Slice(pos + 24), b.Timestamp);
                pos += BatchSize;
            }
        }
        BinaryPrimitives.WriteUInt32BigEndian(span.Slice(2), Crc32C.Compute(span.Slice(6)));
        StorageIo.WriteAtomically(SnapshotPath(MapEndOffset), span);
        var all = ListSnapshotOffsets();
        for (var i = 0; i < all.Count - SnapshotsToKeep; i++)
        {
            File.Delete(SnapshotPath(all[i]));
        }
    }

    /// <summary>
    /// Loads the newest valid snapshot at or below <paramref name="maxOffset"/>, deleting newer ones
    /// (they describe a truncated log) and unreadable ones. Returns its offset, or -1 with empty state.
    /// </summary>
    public long LoadSnapshot(long maxOffset)
    {
        var offsets = ListSnapshotOffsets();
        for (var i = offsets.Count - 1; i >= 0; i--)
        {
            var offset = offsets[i];
            if (offset > maxOffset || !TryLoad(SnapshotPath(offset)))
            {
                File.Delete(SnapshotPath(offset));
                continue;
            }
            MapEndOffset = offset;
            return offset;
        }
        Clear(0);
        return -1;
    }

    /// <summary>Deletes every snapshot (the log was emptied).</summary>
    public void DeleteSnapshots()
    {
        foreach (var offset in ListSnapshotOffsets())
        {
            File.Delete(SnapshotPath(offset));
        }
    }

    /// <summary>Deletes snapshots below <paramref name="offset"/> except the newest of them.</summary>
    public void DeleteSnapshotsBefore(long offset)
    {
        var all = ListSnapshotOffsets();
        var below = all.FindAll(o => o < offset);
        for (var i = 0; i < below.Count - 1; i++)
        {
            File.Delete(SnapshotPath(below[i]));
        }
    }

    public List<long> ListSnapshotOffsets()
    {
        var result = new List<long>();
        if (!Directory.Exists(Dir))
        {
            return result;
        }
        foreach (var file in Directory.EnumerateFiles(Dir, "*" + SnapshotSuffix))
        {
            if (StorageIo.TryParseOffsetFileName(Path.GetFileName(file), SnapshotSuffix, out var offset))
            {
                result.Add(offset);
            }
        }
        result.Sort();
        return result;
    }

    private string SnapshotPath(long offset) => Path.Combine(Dir, StorageIo.OffsetFileName(offset, SnapshotSuffix));

    private bool TryLoad(string path)
    {
        _producers.Clear();
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return false;
        }
        var span = bytes.AsSpan();
        if (span.Length < HeaderSize || BinaryPrimitives.ReadInt16BigEndian(span) != SnapshotVersion
            || BinaryPrimitives.ReadUInt32BigEndian(span.Slice(2)) != Crc32C.Compute(span.Slice(6)))
        {
            return false;
        }
        var count = BinaryPrimitives.ReadInt32BigEndian(span.Slice(6));
        var pos = HeaderSize;
        for (var i = 0; i < count; i++)
        {
            if (span.Length - pos < ProducerSize)
            {
                _producers.Clear();
                return false;
            }
            var pid = BinaryPrimitives.ReadInt64BigEndian(span.Slice(pos));
            var epoch = BinaryPrimitives.ReadInt16BigEndian(span.Slice(pos + 8));
            var coordinatorEpoch = BinaryPrimitives.ReadInt32BigEndian(span.Slice(pos + 10));
            var lastTimestamp = BinaryPrimitives.ReadInt64BigEndian(span.Slice(pos + 14));
            int batches = span[pos + 22];
            pos += ProducerSize;
            if (batches > ProducerStateEntry.NumBatchesToRetain || span.Length - pos < batches * BatchSize)
            {
                _producers.Clear();
                return false;
            }
            var entry = new ProducerStateEntry(pid, epoch);
            for (var b = 0; b < batches; b++)
            {
                entry.Add(epoch, new BatchMetadata(
                    BinaryPrimitives.ReadInt32BigEndian(span.Slice(pos)),
                    BinaryPrimitives.ReadInt32BigEndian(span.Slice(pos + 4)),
                    BinaryPrimitives.ReadInt64BigEndian(span.Slice(pos + 8)),
                    BinaryPrimitives.ReadInt64BigEndian(span.Slice(pos + 16)),
                    BinaryPrimitives.ReadInt64BigEndian(span.Slice(pos + 24))));
                pos += BatchSize;
            }
            entry.Restore(coordinatorEpoch, lastTimestamp);
            _producers[pid] = entry;
        }
        return true;
    }
}
