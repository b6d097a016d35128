using System.Buffers;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Actors.Storage;

/// <summary>
/// An immutable view of a log published after each change: its segments, the readable end of the
/// active segment, and the log start / end offsets and high watermark. Any thread may read through
/// it while the writer appends; it never sees bytes past <see cref="ActiveEndPosition"/>.
/// </summary>
public sealed class LogSnapshot
{
    internal LogSnapshot(LogSegment[] segments, int activeEndPosition, long logStartOffset, long logEndOffset, long highWatermark)
    {
        Segments = segments;
        ActiveEndPosition = activeEndPosition;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
        HighWatermark = highWatermark;
    }

    internal LogSegment[] Segments { get; }
    internal int ActiveEndPosition { get; }
    public long LogStartOffset { get; }
    public long LogEndOffset { get; }
    public long HighWatermark { get; }

    public long Size
    {
        get
        {
            long size = 0;
            for (var i = 0; i < Segments.Length - 1; i++)
            {
                size += Segments[i].Size;
            }
            return size + ActiveEndPosition;
        }
    }

    /// <summary>Base offsets of the segments (for tests and tooling).</summary>
    public IReadOnlyList<long> SegmentBaseOffsets => Array.ConvertAll(Segments, s => s.BaseOffset);

    private int EndPosition(int index) => index == Segments.Length - 1 ? ActiveEndPosition : Segments[index].Size;

    /// <summary>
    /// Reads whole batches starting with the one holding <paramref name="fetchOffset"/>, at most
    /// <paramref name="maxBytes"/> (or the first batch alone if larger and <paramref name="minOneMessage"/>),
    /// only batches entirely below <paramref name="maxOffset"/> (the high watermark for consumers, the
    /// log end for followers). Returns null if a segment was deleted meanwhile (read a newer snapshot).
    /// </summary>
    internal LogReadResult? TryRead(long fetchOffset, int maxBytes, long maxOffset, bool minOneMessage)
    {
        if (fetchOffset < LogStartOffset || fetchOffset > LogEndOffset)
        {
            return new LogReadResult(ErrorCode.OffsetOutOfRange, null, 0, -1, this);
        }
        maxOffset = Math.Min(maxOffset, LogEndOffset);
        if (fetchOffset >= maxOffset || (maxBytes <= 0 && !minOneMessage))
        {
            return Empty();
        }
        for (var i = FloorSegment(fetchOffset); i < Segments.Length; i++)
        {
            var segment = Segments[i];
            if (!segment.TryAcquire())
            {
                return null;
            }
            try
            {
                var end = EndPosition(i);
                if (!segment.TryTranslateOffset(fetchOffset, end, out var first))
                {
                    continue;
                }
                if (first.LastOffset >= maxOffset)
                {
                    return Empty();
                }
                int length;
                if (first.Size > maxBytes)
                {
                    if (!minOneMessage)
                    {
                        return Empty();
                    }
                    length = first.Size;
                }
                else
                {
                    length = (int)Math.Min(maxBytes, (long)end - first.Position);
                }
                return ReadBatches(segment, first.Position, length, maxOffset);
            }
            finally
            {
                segment.Release();
            }
        }
        return Empty();
    }

    private LogReadResult ReadBatches(LogSegment segment, int position, int length, long maxOffset)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        var read = StorageIo.ReadFully(segment.Handle, buffer.AsSpan(0, length), position);
        // Keep whole batches below maxOffset only.
        var used = 0;
        var firstOffset = -1L;
        while (used < read && RecordBatch.TryRead(buffer.AsSpan(used, read - used), out var batch, out var size))
        {
            if (batch.LastOffset >= maxOffset)
            {
                break;
            }
            if (firstOffset < 0)
            {
                firstOffset = batch.BaseOffset;
            }
            used += size;
        }
        if (used == 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return Empty();
        }
        return new LogReadResult(ErrorCode.None, buffer, used, firstOffset, this);
    }

    private LogReadResult Empty() => new(ErrorCode.None, null, 0, -1, this);

    /// <summary>The index of the last segment whose base offset is &lt;= offset (0 if none).</summary>
    internal int FloorSegment(long offset)
    {
        int lo = 0, hi = Segments.Length - 1, found = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Segments[mid].BaseOffset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }
}
