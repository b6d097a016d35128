using Broker.Protocol.Messages;

namespace Broker.Actors.Storage;

public sealed partial class Log
{
    /// <summary>
    /// Deletes whole inactive segments: those wholly below the log start offset, those older than
    /// retention.ms (by their newest timestamp), and the oldest while the log exceeds retention.bytes.
    /// Never the active segment, never data at or above the high watermark. Returns segments deleted.
    /// </summary>
    public int DeleteOldSegments()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return 0;
            }
            var deleted = DeleteSegmentsWhile((segment, next) => next.BaseOffset <= _logStartOffset);
            var now = NowMs;
            if (Config.RetentionMs >= 0)
            {
                deleted += DeleteSegmentsWhile((segment, _) => now - segment.LargestTimestamp > Config.RetentionMs);
            }
            if (Config.RetentionBytes >= 0)
            {
                var excess = SizeLocked() - Config.RetentionBytes;
                deleted += DeleteSegmentsWhile((segment, _) =>
                {
                    if (excess - segment.Size < 0)
                    {
                        return false;
                    }
                    excess -= segment.Size;
                    return true;
                });
            }
            ProducerState.RemoveExpiredProducers(now, Config.ProducerIdExpirationMs);
            return deleted;
        }
    }

    /// <summary>
    /// DeleteRecords: moves the log start offset to <paramref name="offset"/> (at most the high
    /// watermark) and deletes segments wholly below it. Returns the error code and the new log start.
    /// </summary>
    public (ErrorCode ErrorCode, long LogStartOffset) DeleteRecordsBefore(long offset)
    {
        lock (_lock)
        {
            ThrowIfClosed();
            if (offset < 0 || offset > _highWatermark)
            {
                return (ErrorCode.OffsetOutOfRange, _logStartOffset);
            }
            if (offset > _logStartOffset)
            {
                _logStartOffset = offset;
                LeaderEpochCache.TruncateFromStart(offset);
                Publish();
                DeleteSegmentsWhile((segment, next) => next.BaseOffset <= _logStartOffset);
            }
            return (ErrorCode.None, _logStartOffset);
        }
    }

    private long SizeLocked()
    {
        long size = 0;
        foreach (var s in _segments)
        {
            size += s.Size;
        }
        return size;
    }

    /// <summary>Deletes the oldest segments while the predicate holds for (segment, next segment).</summary>
    private int DeleteSegmentsWhile(Func<LogSegment, LogSegment, bool> predicate)
    {
        var count = 0;
        while (_segments.Count > 1)
        {
            var segment = _segments[0];
            var next = _segments[1];
            if (next.BaseOffset > _highWatermark || !predicate(segment, next))
            {
                break;
            }
            _segments.RemoveAt(0);
            count++;
        }
        if (count == 0)
        {
            return 0;
        }
        var removed = _segments[0].BaseOffset;
        if (removed > _logStartOffset)
        {
            _logStartOffset = removed;
            LeaderEpochCache.TruncateFromStart(_logStartOffset);
        }
        // Publish first so new readers stop seeing the segments, then delete them.
        var old = Current.Segments;
        Publish(segmentsChanged: true);
        foreach (var segment in old)
        {
            if (segment.BaseOffset < removed)
            {
                segment.Delete(Config.FileDeleteDelayMs);
            }
        }
        ProducerState.DeleteSnapshotsBefore(_segments[0].BaseOffset);
        return count;
    }
}
