using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Actors.Storage;

public sealed partial class Log
{
    /// <summary>
    /// Appends batches as the leader: validates them (whole v2 batches, CRC, sizes), checks
    /// idempotent producers, assigns offsets from the log end by rewriting each base offset in place,
    /// stamps the partition leader epoch (and LogAppendTime if configured), writes, indexes, and
    /// publishes a new snapshot. The buffer is modified. Expected failures come back as error codes.
    /// </summary>
    public LogAppendInfo Append(Span<byte> batches, AppendOrigin origin = AppendOrigin.Client, int leaderEpoch = 0)
    {
        lock (_lock)
        {
            ThrowIfClosed();
            var check = Validate(batches, origin, out var recordCount);
            if (check != ErrorCode.None)
            {
                return LogAppendInfo.Error(check, _logStartOffset);
            }

            ProducerState.BeginAppend();
            if (origin == AppendOrigin.Client)
            {
                var offset = 0;
                while (offset < batches.Length)
                {
                    RecordBatch.TryRead(batches.Slice(offset), out var batch, out var size);
                    if (batch.ProducerId >= 0)
                    {
                        var error = ProducerState.Check(batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, batch.LastSequence, out var duplicate);
                        if (duplicate is { } d)
                        {
                            return new LogAppendInfo(ErrorCode.None, d.FirstOffset, d.LastOffset, -1, -1, _logStartOffset, 0, IsDuplicate: true);
                        }
                        if (error != ErrorCode.None)
                        {
                            return LogAppendInfo.Error(error, _logStartOffset);
                        }
                    }
                    offset += size;
                }
            }

            var now = NowMs;
            var logAppendTime = Config.TimestampType == TimestampType.LogAppendTime ? now : -1;
            var firstOffset = _logEndOffset;
            var next = firstOffset;
            var maxTimestamp = -1L;
            var pos = 0;
            while (pos < batches.Length)
            {
                RecordBatch.TryRead(batches.Slice(pos), out var view, out var size);
                var lastDelta = view.LastOffsetDelta;
                var slice = batches.Slice(pos, size);
                RecordBatch.SetBaseOffset(slice, next);
                RecordBatch.SetPartitionLeaderEpoch(slice, leaderEpoch);
                if (logAppendTime >= 0)
                {
                    RecordBatch.SetLogAppendTime(slice, logAppendTime);
                }
                maxTimestamp = Math.Max(maxTimestamp, new RecordBatch(slice).MaxTimestamp);
                next += lastDelta + 1;
                pos += size;
            }
            var lastOffset = next - 1;

            MaybeRoll(batches.Length, maxTimestamp, lastOffset, now, firstOffset);
            Active.Append(batches, Config.IndexIntervalBytes);
            LeaderEpochCache.Assign(leaderEpoch, firstOffset);
            UpdateProducerStateAfterAppend(batches);
            _logEndOffset = next;
            Publish();
            MaybeFlushAfterAppend(now);
            return new LogAppendInfo(ErrorCode.None, firstOffset, lastOffset, maxTimestamp, logAppendTime, _logStartOffset, recordCount, false);
        }
    }

    /// <summary>
    /// Appends batches copied from the leader: offsets and leader epochs are already assigned and must
    /// continue this log (ascending, at or after the log end). Throws <see cref="LogStorageException"/>
    /// when they do not; returns an error code for invalid batches.
    /// </summary>
    public LogAppendInfo AppendAsFollower(Span<byte> batches)
    {
        lock (_lock)
        {
            ThrowIfClosed();
            var check = Validate(batches, AppendOrigin.Replication, out var recordCount);
            if (check != ErrorCode.None)
            {
                return LogAppendInfo.Error(check, _logStartOffset);
            }
            var expected = _logEndOffset;
            var firstOffset = -1L;
            var maxTimestamp = -1L;
            var pos = 0;
            while (pos < batches.Length)
            {
                RecordBatch.TryRead(batches.Slice(pos), out var view, out var size);
                if (view.BaseOffset < expected)
                {
                    throw new LogStorageException(
                        $"{TopicPartition}: follower batch at offset {view.BaseOffset} does not continue the log (expected >= {expected})");
                }
                if (firstOffset < 0)
                {
                    firstOffset = view.BaseOffset;
                }
                expected = view.NextOffset;
                maxTimestamp = Math.Max(maxTimestamp, view.MaxTimestamp);
                pos += size;
            }
            var now = NowMs;
            MaybeRoll(batches.Length, maxTimestamp, expected - 1, now, firstOffset);
            Active.Append(batches, Config.IndexIntervalBytes);
            pos = 0;
            while (pos < batches.Length)
            {
                RecordBatch.TryRead(batches.Slice(pos), out var view, out var size);
                LeaderEpochCache.Assign(view.PartitionLeaderEpoch, view.BaseOffset);
                pos += size;
            }
            UpdateProducerStateAfterAppend(batches);
            _logEndOffset = expected;
            Publish();
            MaybeFlushAfterAppend(now);
            return new LogAppendInfo(ErrorCode.None, firstOffset, expected - 1, maxTimestamp, -1, _logStartOffset, recordCount, false);
        }
    }

    /// <summary>Shallow validation of a produce payload: whole v2 batches, CRC, sizes, counts.</summary>
    private ErrorCode Validate(ReadOnlySpan<byte> batches, AppendOrigin origin, out int recordCount)
    {
        recordCount = 0;
        if (batches.Length == 0)
        {
            return ErrorCode.CorruptMessage;
        }
        if (batches.Length > Config.SegmentBytes)
        {
            return ErrorCode.RecordListTooLarge;
        }
        var offset = 0;
        while (offset < batches.Length)
        {
            if (!RecordBatch.TryRead(batches.Slice(offset), out var batch, out var size))
            {
                return ErrorCode.CorruptMessage;
            }
            if (size > Config.MaxMessageBytes)
            {
                return ErrorCode.MessageTooLarge;
            }
            if (!batch.IsCrcValid)
            {
                return ErrorCode.CorruptMessage;
            }
            if (batch.LastOffsetDelta < 0 || batch.RecordCount < 0)
            {
                return ErrorCode.InvalidRecord;
            }
            if (origin == AppendOrigin.Client && (batch.IsControl || batch.RecordCount == 0 || batch.RecordCount != batch.LastOffsetDelta + 1))
            {
                return ErrorCode.InvalidRecord;
            }
            recordCount += batch.RecordCount;
            offset += size;
        }
        return ErrorCode.None;
    }

    private void UpdateProducerStateAfterAppend(ReadOnlySpan<byte> batches)
    {
        var pos = 0;
        while (pos < batches.Length)
        {
            RecordBatch.TryRead(batches.Slice(pos), out var b, out var size);
            if (b.ProducerId >= 0 && !b.IsControl)
            {
                ProducerState.Update(b.ProducerId, b.ProducerEpoch,
                    new BatchMetadata(b.BaseSequence, b.LastSequence, b.BaseOffset, b.LastOffset, b.MaxTimestamp));
            }
            pos += size;
        }
        ProducerState.BeginAppend();
    }

    /// <summary>Rolls by segment.bytes, segment.ms, a full offset index, or relative offsets overflowing int32.</summary>
    private void MaybeRoll(int appendSize, long maxTimestampInAppend, long lastOffset, long now, long newSegmentBase)
    {
        var active = Active;
        if (active.Size == 0)
        {
            return;
        }
        var timeWaited = active.RollingBasedTimestamp >= 0 && maxTimestampInAppend >= 0
            ? maxTimestampInAppend - active.RollingBasedTimestamp
            : now - active.CreatedMs;
        if ((long)active.Size + appendSize > Config.SegmentBytes
            || timeWaited > Config.SegmentMs
            || active.OffsetIndex.Count >= Config.MaxIndexEntries
            || lastOffset - active.BaseOffset > int.MaxValue)
        {
            RollAt(newSegmentBase, now);
        }
    }

    private void RollAt(long baseOffset, long now)
    {
        var old = Active;
        old.OnBecomeInactive();
        _segments.Add(LogSegment.Create(Dir, baseOffset, now));
        ProducerState.UpdateMapEndOffset(baseOffset);
        ProducerState.TakeSnapshot();
        Publish(segmentsChanged: true);
        // Like Kafka, flush the finished segment in the background: the recovery point then trails
        // the log by about one segment, so a crash only re-validates the active segment.
        _ = Task.Run(() => FlushUpTo(baseOffset));
    }

    /// <summary>Rolls a new segment now (e.g. before a leadership change); no-op when the active one is empty.</summary>
    public void Roll()
    {
        lock (_lock)
        {
            ThrowIfClosed();
            if (Active.Size > 0)
            {
                RollAt(_logEndOffset, NowMs);
            }
        }
    }

    private void MaybeFlushAfterAppend(long now)
    {
        if (_logEndOffset - _recoveryPoint >= Config.FlushMessages || now - _lastFlushMs >= Config.FlushMs)
        {
            FlushLocked(_logEndOffset);
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new ObjectDisposedException(ToString());
        }
    }
}
