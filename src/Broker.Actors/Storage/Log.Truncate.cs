namespace Broker.Actors.Storage;

public sealed partial class Log
{
    /// <summary>
    /// Removes everything at and above <paramref name="offset"/> (a follower diverging from its
    /// leader). Returns true if anything was removed.
    /// </summary>
    public bool TruncateTo(long offset)
    {
        lock (_lock)
        {
            ThrowIfClosed();
            if (offset < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(offset));
            }
            if (offset >= _logEndOffset)
            {
                return false;
            }
            if (offset <= _segments[0].BaseOffset)
            {
                TruncateFullyAndStartAtLocked(offset);
                return true;
            }
            var removed = new List<LogSegment>();
            while (_segments.Count > 1 && _segments[^1].BaseOffset >= offset)
            {
                removed.Add(_segments[^1]);
                _segments.RemoveAt(_segments.Count - 1);
            }
            Active.TruncateTo(offset, Config.IndexIntervalBytes);
            _logEndOffset = Active.NextOffset;
            _highWatermark = Math.Min(_highWatermark, _logEndOffset);
            _recoveryPoint = Math.Min(_recoveryPoint, _logEndOffset);
            Publish(segmentsChanged: true);
            foreach (var segment in removed)
            {
                segment.Delete(0);
            }
            LeaderEpochCache.TruncateFromEnd(_logEndOffset);
            RebuildProducerState();
            return true;
        }
    }

    /// <summary>Deletes every segment and starts an empty log at <paramref name="offset"/>.</summary>
    public void TruncateFullyAndStartAt(long offset)
    {
        lock (_lock)
        {
            ThrowIfClosed();
            TruncateFullyAndStartAtLocked(offset);
        }
    }

    private void TruncateFullyAndStartAtLocked(long offset)
    {
        var removed = _segments.ToArray();
        _segments.Clear();
        foreach (var segment in removed)
        {
            // The new segment may reuse a removed one's file name: rename old files away first.
            segment.Delete(0);
        }
        _segments.Add(LogSegment.Create(Dir, offset, NowMs));
        _logStartOffset = _logEndOffset = _highWatermark = _recoveryPoint = offset;
        Publish(segmentsChanged: true);
        LeaderEpochCache.Clear();
        ProducerState.DeleteSnapshots();
        ProducerState.Clear(offset);
    }
}
