namespace Broker.Actors.Storage;

internal sealed partial class LogSegment
{
    /// <summary>
    /// Validates every batch (length, magic, CRC, offsets ascending and within this segment) from
    /// <paramref name="fromOffset"/> on (everything when -1 or when the indexes cannot be trusted),
    /// rebuilds the indexes from there, and truncates the file after the last valid batch.
    /// Batches below <paramref name="fromOffset"/> were flushed with their index entries, so the scan
    /// starts at the offset index's floor entry. Returns the number of bytes cut off.
    /// </summary>
    public long Recover(int indexIntervalBytes, int maxBatchSize, long fromOffset = -1)
    {
        var fileLength = RandomAccess.GetLength(_handle);
        var start = 0;
        if (fromOffset > BaseOffset && IndexesLoaded && OffsetIndex.IsSane(fileLength) && TimeIndex.IsSane(long.MaxValue))
        {
            start = OffsetIndex.LookupPosition(fromOffset);
        }
        ResetState();
        if (start > 0)
        {
            // Keep the entries up to the scan start (its own entry included); the time index keeps
            // what those entries cover, and its last entry is the newest timestamp before the scan.
            OffsetIndex.TruncateToPosition(start + 1);
            TimeIndex.TruncateTo(OffsetIndex.LastOffset + 1);
            if (TimeIndex.Last is { } last)
            {
                _maxTimestampSoFar = last.Timestamp;
                _offsetOfMaxTimestampSoFar = BaseOffset + last.RelativeOffset;
            }
            _size = start;
            if (!ReadRollingTimestamp())
            {
                start = 0;
            }
        }
        if (start == 0)
        {
            OffsetIndex.Reset();
            TimeIndex.Reset();
            ResetState();
        }
        _size = start;
        long validBytes;
        using (var scanner = new BatchScanner(_handle, start, Math.Min(fileLength, int.MaxValue), validate: true, maxBatchSize))
        {
            while (scanner.Next(out var batch) == ScanStatus.Batch)
            {
                if (batch.BaseOffset < NextOffset || batch.LastOffset - BaseOffset > int.MaxValue)
                {
                    // Offsets going backwards or beyond what the index can address: not ours.
                    break;
                }
                OnBatch(batch, indexIntervalBytes);
                _size = batch.Position + batch.Size;
            }
            validBytes = _size;
        }
        if (fileLength > validBytes)
        {
            RandomAccess.SetLength(_handle, validBytes);
        }
        Flush(fsync: false);
        return fileLength - validBytes;
    }

    /// <summary>
    /// After a clean shutdown: trusts the file and indexes, and scans only the tail after the last
    /// index entry to find the next offset and newest timestamp. Returns false if the tail does not
    /// parse (then the caller recovers the segment).
    /// </summary>
    public bool LoadTail(int indexIntervalBytes)
    {
        ResetState();
        var last = TimeIndex.Last;
        if (last is { } entry)
        {
            _maxTimestampSoFar = entry.Timestamp;
            _offsetOfMaxTimestampSoFar = BaseOffset + entry.RelativeOffset;
        }
        if (!ReadRollingTimestamp())
        {
            return false;
        }
        var start = OffsetIndex.LastPosition;
        NextOffset = Math.Max(BaseOffset, OffsetIndex.Count == 0 ? BaseOffset : OffsetIndex.LastOffset);
        using var scanner = new BatchScanner(_handle, start, _size, validate: false);
        ScanStatus status;
        while ((status = scanner.Next(out var batch)) == ScanStatus.Batch)
        {
            OnBatch(batch, indexIntervalBytes);
        }
        // The scan from the last entry re-indexes nothing: its entries are at or before `start`.
        return status == ScanStatus.End;
    }

    /// <summary>For an inactive segment opened after a clean shutdown: state from the indexes alone.</summary>
    public void LoadInactive(long nextSegmentBaseOffset)
    {
        ResetState();
        var last = TimeIndex.Last;
        if (last is { } entry)
        {
            _maxTimestampSoFar = entry.Timestamp;
            _offsetOfMaxTimestampSoFar = BaseOffset + entry.RelativeOffset;
        }
        NextOffset = nextSegmentBaseOffset;
    }

    private bool ReadRollingTimestamp()
    {
        if (_size == 0)
        {
            return true;
        }
        using var scanner = new BatchScanner(_handle, 0, _size, validate: false, chunkSize: 256);
        if (scanner.Next(out var first) != ScanStatus.Batch)
        {
            return false;
        }
        RollingBasedTimestamp = first.MaxTimestamp;
        return true;
    }

    private void ResetState()
    {
        NextOffset = BaseOffset;
        _bytesSinceLastIndexEntry = 0;
        _maxTimestampSoFar = -1;
        _offsetOfMaxTimestampSoFar = -1;
        RollingBasedTimestamp = -1;
    }

    /// <summary>
    /// Removes every batch whose last offset is &gt;= <paramref name="offset"/> (a batch containing the
    /// offset goes entirely). Returns the bytes removed.
    /// </summary>
    public int TruncateTo(long offset, int indexIntervalBytes)
    {
        var size = _size;
        var cut = size;
        using (var scanner = new BatchScanner(_handle, OffsetIndex.LookupPosition(offset), size, validate: false))
        {
            while (scanner.Next(out var batch) == ScanStatus.Batch)
            {
                if (batch.LastOffset >= offset)
                {
                    cut = batch.Position;
                    break;
                }
            }
        }
        if (cut >= size)
        {
            return 0;
        }
        OffsetIndex.TruncateToPosition(cut);
        RandomAccess.SetLength(_handle, cut);
        // Recompute the tail state (next offset, newest timestamp) from the remaining indexes and bytes.
        TimeIndex.TruncateTo(TimeIndexCutOffset(cut));
        Volatile.Write(ref _size, cut);
        if (!LoadTail(indexIntervalBytes))
        {
            Recover(indexIntervalBytes, int.MaxValue);
        }
        return size - cut;
    }

    private long TimeIndexCutOffset(int cut)
    {
        // Entries pointing into removed batches must go; the first removed batch starts at `cut`.
        using var scanner = new BatchScanner(_handle, OffsetIndex.LastPosition, cut, validate: false);
        var next = OffsetIndex.Count == 0 ? BaseOffset : OffsetIndex.LastOffset + 1;
        while (scanner.Next(out var batch) == ScanStatus.Batch)
        {
            next = batch.NextOffset;
        }
        return next;
    }
}
