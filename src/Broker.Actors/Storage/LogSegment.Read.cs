using System.Buffers;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records;

namespace Broker.Actors.Storage;

internal sealed partial class LogSegment
{
    /// <summary>
    /// Finds the first batch below <paramref name="endPosition"/> whose last offset is &gt;=
    /// <paramref name="offset"/>, scanning from the offset index's floor entry.
    /// </summary>
    public bool TryTranslateOffset(long offset, int endPosition, out BatchInfo batch)
    {
        var start = OffsetIndex.LookupPosition(offset);
        if (start >= endPosition)
        {
            // An entry newer than the caller's view of the segment: scan from the start instead.
            start = 0;
        }
        using var scanner = new BatchScanner(_handle, start, endPosition, validate: false, chunkSize: 16 * 1024);
        while (scanner.Next(out batch) == ScanStatus.Batch)
        {
            if (batch.LastOffset >= offset)
            {
                return true;
            }
        }
        batch = default;
        return false;
    }

    /// <summary>
    /// The offset of the first record with timestamp &gt;= <paramref name="timestamp"/> at or after
    /// <paramref name="startOffset"/>, or (-1, -1) when none in this segment. Record-exact (compressed
    /// batches are decompressed); a LogAppendTime batch answers with its first offset.
    /// </summary>
    public TimestampAndOffset FindOffsetByTimestamp(long timestamp, long startOffset, int endPosition)
    {
        var from = Math.Max(TimeIndex.Lookup(timestamp), startOffset);
        var start = OffsetIndex.LookupPosition(from);
        if (start >= endPosition)
        {
            start = 0;
        }
        using var scanner = new BatchScanner(_handle, start, endPosition, validate: false, chunkSize: 16 * 1024);
        while (scanner.Next(out var batch) == ScanStatus.Batch)
        {
            if (batch.LastOffset < startOffset || batch.MaxTimestamp < timestamp)
            {
                continue;
            }
            var exact = FindRecord(batch, timestamp);
            return exact.Offset >= startOffset ? exact : new TimestampAndOffset(batch.MaxTimestamp, startOffset);
        }
        return new TimestampAndOffset(-1, -1);
    }

    private TimestampAndOffset FindRecord(in BatchInfo info, long timestamp)
    {
        var whole = new TimestampAndOffset(info.MaxTimestamp, info.BaseOffset);
        var bytes = ArrayPool<byte>.Shared.Rent(info.Size);
        try
        {
            var span = bytes.AsSpan(0, info.Size);
            if (StorageIo.ReadFully(_handle, span, info.Position) != info.Size)
            {
                return whole;
            }
            var batch = new RecordBatch(span);
            if (batch.IsLogAppendTime)
            {
                return whole;
            }
            using var scratch = new PooledBufferWriter(batch.Compression == CompressionType.None ? 1 : 4 * info.Size);
            foreach (var record in batch.GetRecords(scratch))
            {
                var ts = batch.BaseTimestamp + record.TimestampDelta;
                if (ts >= timestamp)
                {
                    return new TimestampAndOffset(ts, batch.BaseOffset + record.OffsetDelta);
                }
            }
            return whole;
        }
        catch (ProtocolException)
        {
            // A batch whose records do not parse still answers at batch granularity.
            return whole;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
