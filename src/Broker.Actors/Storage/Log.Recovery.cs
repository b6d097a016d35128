namespace Broker.Actors.Storage;

public sealed partial class Log
{
    /// <summary>Bounds a batch length read from disk before a buffer is sized for it.</summary>
    private int MaxRecoveryBatchSize => Math.Max(Config.MaxMessageBytes, 64 * 1024 * 1024);

    /// <summary>Segments repaired by the last open (for tests and logging).</summary>
    public int RecoveredSegmentCount { get; private set; }

    /// <summary>Bytes cut off by the last open (a torn or corrupt tail).</summary>
    public long TruncatedBytesOnOpen { get; private set; }

    private void Load(LogStartupState state)
    {
        var now = NowMs;
        var baseOffsets = ScanDirectory();
        foreach (var baseOffset in baseOffsets)
        {
            var segment = LogSegment.Open(Dir, baseOffset, out var indexesLoaded);
            _segments.Add(segment);
            segment.IndexesLoaded = indexesLoaded;
        }
        if (_segments.Count == 0)
        {
            _segments.Add(LogSegment.Create(Dir, state.LogStartOffset, now));
        }

        var recoveryPoint = state.RecoveryPoint;
        if (state.HadCleanShutdown)
        {
            LoadClean();
        }
        else
        {
            RecoverFrom(recoveryPoint);
        }

        _logEndOffset = Active.NextOffset;
        _logStartOffset = Math.Max(state.LogStartOffset, _segments[0].BaseOffset);
        _recoveryPoint = state.HadCleanShutdown ? _logEndOffset : Math.Min(Math.Max(recoveryPoint, 0), _logEndOffset);
        _lastFlushMs = now;
        if (_logStartOffset > _logEndOffset)
        {
            // Everything below the checkpointed start was deleted (DeleteRecords past the end).
            Publish(segmentsChanged: true);
            TruncateFullyAndStartAtLocked(_logStartOffset);
        }
        _highWatermark = Math.Clamp(state.HighWatermark, _logStartOffset, _logEndOffset);
        LeaderEpochCache.TruncateFromEnd(_logEndOffset);
        LeaderEpochCache.TruncateFromStart(_logStartOffset);
        RebuildProducerState();
        Publish(segmentsChanged: true);
    }

    /// <summary>Lists segment base offsets; removes leftovers of interrupted deletes and temp files.</summary>
    private List<long> ScanDirectory()
    {
        var bases = new List<long>();
        var indexFiles = new List<(string Path, long Base)>();
        foreach (var file in Directory.EnumerateFiles(Dir))
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(LogSegment.DeletedSuffix, StringComparison.Ordinal) || name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                File.Delete(file);
            }
            else if (StorageIo.TryParseOffsetFileName(name, LogSegment.LogSuffix, out var b))
            {
                bases.Add(b);
            }
            else if (StorageIo.TryParseOffsetFileName(name, LogSegment.IndexSuffix, out b)
                || StorageIo.TryParseOffsetFileName(name, LogSegment.TimeIndexSuffix, out b))
            {
                indexFiles.Add((file, b));
            }
        }
        bases.Sort();
        foreach (var (path, b) in indexFiles)
        {
            if (bases.BinarySearch(b) < 0)
            {
                File.Delete(path);
            }
        }
        return bases;
    }

    /// <summary>After a clean shutdown: trust the files; read the active segment's tail only.</summary>
    private void LoadClean()
    {
        for (var i = 0; i < _segments.Count; i++)
        {
            var segment = _segments[i];
            var isActive = i == _segments.Count - 1;
            var sane = segment.IndexesLoaded && segment.OffsetIndex.IsSane(segment.Size);
            if (isActive)
            {
                if (!sane || !segment.LoadTail(Config.IndexIntervalBytes) || !segment.TimeIndex.IsSane(segment.NextOffset))
                {
                    RecoverSegment(i);
                }
            }
            else
            {
                segment.LoadInactive(_segments[i + 1].BaseOffset);
                if (!sane || !segment.TimeIndex.IsSane(segment.NextOffset))
                {
                    RecoverSegment(i);
                }
            }
        }
    }

    /// <summary>
    /// After a crash: segments from the one holding <paramref name="recoveryPoint"/> on are validated
    /// batch by batch; earlier (flushed) segments only get their indexes checked.
    /// </summary>
    private void RecoverFrom(long recoveryPoint)
    {
        var firstUnflushed = _segments.Count - 1;
        for (var i = 0; i < _segments.Count - 1; i++)
        {
            if (_segments[i + 1].BaseOffset > recoveryPoint)
            {
                firstUnflushed = i;
                break;
            }
        }
        for (var i = 0; i < firstUnflushed; i++)
        {
            var segment = _segments[i];
            segment.LoadInactive(_segments[i + 1].BaseOffset);
            if (!segment.IndexesLoaded || !segment.OffsetIndex.IsSane(segment.Size) || !segment.TimeIndex.IsSane(segment.NextOffset))
            {
                RecoverSegment(i);
            }
        }
        for (var i = firstUnflushed; i < _segments.Count; i++)
        {
            if (RecoverSegment(i, i == firstUnflushed ? recoveryPoint : -1) > 0)
            {
                // A bad batch mid-log: nothing after it can be trusted to continue the offsets.
                DeleteSegmentsAfter(i);
                break;
            }
        }
    }

    private long RecoverSegment(int index, long fromOffset = -1)
    {
        var segment = _segments[index];
        var truncated = segment.Recover(Config.IndexIntervalBytes, MaxRecoveryBatchSize, fromOffset);
        RecoveredSegmentCount++;
        TruncatedBytesOnOpen += truncated;
        if (index < _segments.Count - 1 && segment.Size > 0 && segment.NextOffset > _segments[index + 1].BaseOffset)
        {
            throw new LogStorageException($"segment {segment.BaseOffset} of {Dir} overlaps the next segment");
        }
        return truncated;
    }

    private void DeleteSegmentsAfter(int index)
    {
        for (var j = _segments.Count - 1; j > index; j--)
        {
            var s = _segments[j];
            _segments.RemoveAt(j);
            s.Delete(0);
        }
    }

    /// <summary>Loads the newest producer snapshot at or below the log end and replays the log after it.</summary>
    private void RebuildProducerState()
    {
        var snapshotOffset = ProducerState.LoadSnapshot(_logEndOffset);
        var from = Math.Max(snapshotOffset, _logStartOffset);
        if (snapshotOffset < 0)
        {
            ProducerState.Clear(_logStartOffset);
        }
        ReplayProducerState(from, _logEndOffset);
        ProducerState.UpdateMapEndOffset(_logEndOffset);
    }

    /// <summary>Reads batch headers in [from, to) into the producer state.</summary>
    private void ReplayProducerState(long from, long to)
    {
        if (from >= to)
        {
            return;
        }
        for (var i = 0; i < _segments.Count; i++)
        {
            var segment = _segments[i];
            var segmentEnd = i == _segments.Count - 1 ? long.MaxValue : _segments[i + 1].BaseOffset;
            if (segmentEnd <= from || segment.BaseOffset >= to)
            {
                continue;
            }
            var start = segment.OffsetIndex.LookupPosition(from);
            using var scanner = new BatchScanner(segment.Handle, start, segment.Size, validate: false);
            while (scanner.Next(out var batch) == ScanStatus.Batch)
            {
                if (batch.LastOffset < from)
                {
                    continue;
                }
                if (batch.BaseOffset >= to)
                {
                    break;
                }
                if (batch.ProducerId >= 0 && !batch.IsControl)
                {
                    ProducerState.Update(batch.ProducerId, batch.ProducerEpoch,
                        new BatchMetadata(batch.BaseSequence, batch.LastSequence, batch.BaseOffset, batch.LastOffset, batch.MaxTimestamp));
                }
            }
        }
    }
}
