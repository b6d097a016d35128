namespace Broker.Actors.Storage;

public sealed partial class Log
{
    /// <summary>Forces everything appended so far to disk and advances the recovery point.</summary>
    public void Flush() => FlushUpTo(long.MaxValue);

    /// <summary>Flushes when flush.ms has passed since the last flush (the log manager's timer calls this).</summary>
    public void FlushIfDue()
    {
        long target;
        lock (_lock)
        {
            if (_closed || NowMs - _lastFlushMs < Config.FlushMs || _recoveryPoint >= _logEndOffset)
            {
                return;
            }
            target = _logEndOffset;
        }
        FlushUpTo(target);
    }

    /// <summary>
    /// Flushes segments holding offsets below <paramref name="offset"/>. The fsyncs run outside the
    /// lock (appends continue meanwhile); segment references keep the files open.
    /// </summary>
    internal void FlushUpTo(long offset)
    {
        LogSegment[] toFlush;
        long target;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }
            target = Math.Min(offset, _logEndOffset);
            if (target <= _recoveryPoint)
            {
                return;
            }
            toFlush = SegmentsToFlush(target);
        }
        try
        {
            foreach (var segment in toFlush)
            {
                segment.FsyncFiles();
            }
        }
        finally
        {
            foreach (var segment in toFlush)
            {
                segment.Release();
            }
        }
        lock (_lock)
        {
            if (target > _recoveryPoint)
            {
                _recoveryPoint = target;
            }
            _lastFlushMs = NowMs;
        }
    }

    /// <summary>Flush while holding the lock (flush.messages = 1 durability: the append waits for the fsync).</summary>
    private void FlushLocked(long target)
    {
        if (target <= _recoveryPoint)
        {
            _lastFlushMs = NowMs;
            return;
        }
        var toFlush = SegmentsToFlush(target);
        try
        {
            foreach (var segment in toFlush)
            {
                segment.FsyncFiles();
            }
        }
        finally
        {
            foreach (var segment in toFlush)
            {
                segment.Release();
            }
        }
        _recoveryPoint = target;
        _lastFlushMs = NowMs;
    }

    /// <summary>Under the lock: writes pending index entries and acquires the segments to fsync.</summary>
    private LogSegment[] SegmentsToFlush(long target)
    {
        var list = new List<LogSegment>(2);
        for (var i = 0; i < _segments.Count; i++)
        {
            var segment = _segments[i];
            var end = i == _segments.Count - 1 ? _logEndOffset : _segments[i + 1].BaseOffset;
            if (end <= _recoveryPoint || segment.BaseOffset >= target)
            {
                continue;
            }
            segment.Flush(fsync: false);
            if (segment.TryAcquire())
            {
                list.Add(segment);
            }
        }
        return [.. list];
    }
}
