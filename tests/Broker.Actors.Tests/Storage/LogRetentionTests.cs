using Broker.Actors.Storage;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Storage;

public class LogRetentionTests
{
    private static readonly LogConfig Config = LogAppendReadTests.SmallSegments with { FileDeleteDelayMs = 0 };

    [Fact]
    public void RetentionByTimeDeletesOldSegmentsButNeverTheActiveOne()
    {
        using var dir = new TempLogDir();
        var time = new ManualTime(10_000_000);
        using var log = Log.Open(dir.PartitionDir(), Config with { RetentionMs = 60_000 }, time: time);
        for (var i = 0; i < 100; i++)
        {
            log.Append(TestBatches.Build(2, valueSize: 100, timestamp: 1_000_000 + i));
        }
        var oldEnd = log.LogEndOffset;
        for (var i = 0; i < 5; i++)
        {
            log.Append(TestBatches.Build(2, valueSize: 100, timestamp: 10_000_000));
        }
        log.UpdateHighWatermark(log.LogEndOffset);
        var before = log.SegmentCount;
        var deleted = log.DeleteOldSegments();
        Assert.True(deleted > 0);
        Assert.Equal(before - deleted, log.SegmentCount);
        Assert.True(log.LogStartOffset > 0 && log.LogStartOffset <= oldEnd);
        Assert.Equal(log.Current.SegmentBaseOffsets[0], log.LogStartOffset);
        Assert.Equal(log.SegmentCount, Directory.GetFiles(log.Dir, "*.log").Length);
        Assert.Empty(Directory.GetFiles(log.Dir, "*.deleted"));

        // All old: still the active segment stays.
        time.NowMs += 1_000_000_000;
        log.DeleteOldSegments();
        Assert.Equal(1, log.SegmentCount);
        var end = log.LogEndOffset;
        Assert.Equal(end, log.Append(TestBatches.Build(1)).FirstOffset);
    }

    [Fact]
    public void RetentionBySizeKeepsTheLogUnderTheLimit()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config with { RetentionBytes = 10_000, RetentionMs = -1 });
        for (var i = 0; i < 200; i++)
        {
            log.Append(TestBatches.Build(2, valueSize: 100));
        }
        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.True(log.Size > 10_000);
        Assert.True(log.DeleteOldSegments() > 0);
        Assert.True(log.Size <= 10_000 + Config.SegmentBytes, $"size {log.Size}");
        Assert.True(log.Size > 10_000 - Config.SegmentBytes);
        LogAppendReadTests.ReadAll(log, log.LogStartOffset);
    }

    [Fact]
    public void RetentionDoesNotPassTheHighWatermark()
    {
        using var dir = new TempLogDir();
        var time = new ManualTime(10_000_000);
        using var log = Log.Open(dir.PartitionDir(), Config with { RetentionMs = 1 }, time: time);
        for (var i = 0; i < 100; i++)
        {
            log.Append(TestBatches.Build(2, valueSize: 100, timestamp: 1));
        }
        Assert.Equal(0, log.DeleteOldSegments());
        log.UpdateHighWatermark(50);
        log.DeleteOldSegments();
        Assert.True(log.LogStartOffset <= 50);
        Assert.True(log.Current.SegmentBaseOffsets[0] <= 50);
    }

    [Fact]
    public void DeleteRecordsBeforeMovesTheStartAndDropsWholeSegments()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config);
        for (var i = 0; i < 100; i++)
        {
            log.Append(TestBatches.Build(2, valueSize: 100));
        }
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.DeleteRecordsBefore(10).ErrorCode);
        log.UpdateHighWatermark(log.LogEndOffset);
        var segments = log.SegmentCount;
        var (error, start) = log.DeleteRecordsBefore(101);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(101, start);
        Assert.Equal(101, log.LogStartOffset);
        Assert.True(log.SegmentCount < segments);
        Assert.True(log.Current.SegmentBaseOffsets[0] <= 101);
        using (var r = log.Read(100, 1000, long.MaxValue))
        {
            Assert.Equal(ErrorCode.OffsetOutOfRange, r.ErrorCode);
        }
        using (var r = log.Read(101, 1000, long.MaxValue))
        {
            Assert.Equal(ErrorCode.None, r.ErrorCode);
            Assert.InRange(101, r.FirstOffset, r.FirstOffset + 1);
        }
        Assert.Equal(101, log.FetchOffsetByTimestamp(ListOffsetsTimestamp.Earliest).Offset);
    }

    [Fact]
    public async Task ReaderHoldingADeletedSegmentFinishesItsRead()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config with { FileDeleteDelayMs = 0 });
        for (var i = 0; i < 200; i++)
        {
            log.Append(TestBatches.Build(2, valueSize: 100));
        }
        log.UpdateHighWatermark(log.LogEndOffset);
        var old = log.Current;
        var deleter = Task.Run(() => log.DeleteRecordsBefore(log.LogEndOffset - 1));
        // Reads through an old snapshot race the deletion: either data or a clean "out of range".
        for (var i = 0; i < 50; i++)
        {
            using var r = log.Read(0, 4000, long.MaxValue);
            Assert.True(r.ErrorCode is ErrorCode.None or ErrorCode.OffsetOutOfRange);
            if (r.ErrorCode == ErrorCode.None)
            {
                TestBatches.Batches(r.Records.Span);
            }
        }
        await deleter;
        Assert.True(log.SegmentCount < old.Segments.Length);
    }
}
