using Broker.Actors.Storage;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Actors.Tests.Storage;

public class LogAppendReadTests
{
    internal static readonly LogConfig SmallSegments = new() { SegmentBytes = 4096, IndexIntervalBytes = 256 };

    internal static List<(long Base, long Last, int Count)> ReadAll(Log log, long from = 0, int maxBytes = 1000)
    {
        var all = new List<(long, long, int)>();
        var offset = from;
        while (offset < log.LogEndOffset)
        {
            using var r = log.Read(offset, maxBytes, log.LogEndOffset);
            Assert.Equal(ErrorCode.None, r.ErrorCode);
            var batches = TestBatches.Batches(r.Records.Span);
            Assert.NotEmpty(batches);
            all.AddRange(batches);
            offset = batches[^1].Last + 1;
        }
        return all;
    }

    [Fact]
    public void AppendAssignsOffsetsAndReadsBackAcrossManySegments()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), SmallSegments);
        var expected = new List<(long, long, int)>();
        for (var i = 0; i < 300; i++)
        {
            var count = 1 + i % 7;
            var batch = TestBatches.Build(count, valueSize: 20 + i % 50);
            var info = log.Append(batch, AppendOrigin.Client, leaderEpoch: 3);
            Assert.True(info.IsSuccess);
            Assert.Equal(info.LastOffset - info.FirstOffset + 1, count);
            expected.Add((info.FirstOffset, info.LastOffset, count));
            // The buffer was rewritten in place: base offset and leader epoch, CRC still valid.
            var view = new RecordBatch(batch);
            Assert.Equal(info.FirstOffset, view.BaseOffset);
            Assert.Equal(3, view.PartitionLeaderEpoch);
            Assert.True(view.IsCrcValid);
        }
        Assert.Equal(0, expected[0].Item1);
        for (var i = 1; i < expected.Count; i++)
        {
            Assert.Equal(expected[i - 1].Item2 + 1, expected[i].Item1);
        }
        Assert.True(log.SegmentCount > 10, $"segments: {log.SegmentCount}");
        Assert.Equal(expected, ReadAll(log));

        // Every offset is found in the batch holding it, via the segment list and the offset index.
        for (var offset = 0L; offset < log.LogEndOffset; offset += 13)
        {
            using var r = log.Read(offset, 1, log.LogEndOffset, minOneMessage: true);
            var batches = TestBatches.Batches(r.Records.Span);
            Assert.Single(batches);
            Assert.InRange(offset, batches[0].Base, batches[0].Last);
        }
    }

    [Fact]
    public void ReadRespectsMaxOffsetMaxBytesAndRange()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), LogConfig.Default);
        for (var i = 0; i < 10; i++)
        {
            log.Append(TestBatches.Build(5, valueSize: 100));
        }
        Assert.Equal(50, log.LogEndOffset);
        log.UpdateHighWatermark(20);

        using (var r = log.Read(0, 1 << 20, log.HighWatermark))
        {
            Assert.Equal(new long[] { 0, 5, 10, 15 }, TestBatches.Batches(r.Records.Span).Select(b => b.Base));
            Assert.Equal(20, r.HighWatermark);
            Assert.Equal(50, r.LogEndOffset);
        }
        using (var r = log.Read(20, 1 << 20, log.HighWatermark))
        {
            Assert.Equal(0, r.Length);
        }
        using (var r = log.Read(7, 10, log.LogEndOffset, minOneMessage: false))
        {
            Assert.Equal(0, r.Length);
        }
        using (var r = log.Read(7, 10, log.LogEndOffset, minOneMessage: true))
        {
            Assert.Equal(5, r.FirstOffset);
            Assert.Single(TestBatches.Batches(r.Records.Span));
        }
        using (var r = log.Read(51, 100, log.LogEndOffset))
        {
            Assert.Equal(ErrorCode.OffsetOutOfRange, r.ErrorCode);
        }
        using (var r = log.Read(50, 100, log.LogEndOffset))
        {
            Assert.Equal(ErrorCode.None, r.ErrorCode);
            Assert.Equal(0, r.Length);
        }
    }

    [Fact]
    public void InvalidBatchesAreRejected()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), LogConfig.Default with { MaxMessageBytes = 500 });
        var corrupt = TestBatches.Build(2);
        corrupt[^1] ^= 0xFF;
        Assert.Equal(ErrorCode.CorruptMessage, log.Append(corrupt).ErrorCode);
        var torn = TestBatches.Build(2)[..^3];
        Assert.Equal(ErrorCode.CorruptMessage, log.Append(torn).ErrorCode);
        Assert.Equal(ErrorCode.MessageTooLarge, log.Append(TestBatches.Build(1, valueSize: 600)).ErrorCode);
        Assert.Equal(0, log.LogEndOffset);
        Assert.True(log.Append(TestBatches.Build(2)).IsSuccess);
    }

    [Fact]
    public void LogAppendTimeIsStampedWithValidCrc()
    {
        using var dir = new TempLogDir();
        var time = new ManualTime(5_000_000);
        using var log = Log.Open(dir.PartitionDir(), LogConfig.Default with { TimestampType = TimestampType.LogAppendTime }, time: time);
        var batch = TestBatches.Build(3, timestamp: 10);
        var info = log.Append(batch);
        Assert.Equal(5_000_000, info.LogAppendTime);
        Assert.Equal(5_000_000, info.MaxTimestamp);
        using var r = log.Read(0, 1000, log.LogEndOffset);
        var view = new RecordBatch(r.Records.Span);
        Assert.True(view.IsLogAppendTime);
        Assert.True(view.IsCrcValid);
        Assert.Equal(5_000_000, view.MaxTimestamp);
    }

    [Fact]
    public async Task ReadersRunWhileTheWriterAppends()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), SmallSegments with { SegmentBytes = 16 * 1024 });
        const int total = 3000;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < total; i++)
            {
                Assert.True(log.Append(TestBatches.Build(1 + i % 4, valueSize: 30)).IsSuccess);
            }
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var reads = 0;
            long offset = 0;
            while (!writer.IsCompleted || offset < log.LogEndOffset)
            {
                using var r = log.Read(offset, 2000, long.MaxValue);
                Assert.Equal(ErrorCode.None, r.ErrorCode);
                foreach (var b in TestBatches.Batches(r.Records.Span))
                {
                    Assert.True(b.Base <= offset && offset <= b.Last || b.Base == offset, $"offset {offset} batch {b}");
                    offset = b.Last + 1;
                }
                Assert.True(offset <= r.LogEndOffset);
                reads++;
            }
            return offset;
        })).ToArray();
        await writer.WaitAsync(TimeSpan.FromMinutes(2));
        foreach (var reader in readers)
        {
            Assert.Equal(log.LogEndOffset, await reader.WaitAsync(TimeSpan.FromMinutes(2)));
        }
    }

    [Fact]
    public void ReopenAfterCleanCloseContinuesOffsets()
    {
        using var dir = new TempLogDir();
        var path = dir.PartitionDir();
        long end;
        using (var log = Log.Open(path, SmallSegments))
        {
            for (var i = 0; i < 100; i++)
            {
                log.Append(TestBatches.Build(3, valueSize: 40));
            }
            end = log.LogEndOffset;
            log.Close();
        }
        using var reopened = Log.Open(path, SmallSegments, new LogStartupState(end, 0, end, HadCleanShutdown: true));
        Assert.Equal(end, reopened.LogEndOffset);
        Assert.Equal(0, reopened.RecoveredSegmentCount);
        Assert.Equal(end, reopened.Append(TestBatches.Build(2)).FirstOffset);
        Assert.Equal(101, ReadAll(reopened).Count);
    }
}
