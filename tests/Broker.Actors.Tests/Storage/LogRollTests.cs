using Broker.Actors.Storage;

namespace Broker.Actors.Tests.Storage;

public class LogRollTests
{
    [Fact]
    public void RollsBySegmentMsUsingTheFirstBatchTimestamp()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), LogConfig.Default with { SegmentMs = 1000 });
        for (var i = 0; i < 10; i++)
        {
            log.Append(TestBatches.Build(1, timestamp: 10_000 + i * 600));
        }
        // Each segment holds the batches within 1000 ms of its first: two per segment.
        Assert.Equal([0L, 2, 4, 6, 8], log.Current.SegmentBaseOffsets);
    }

    [Fact]
    public void RollsWhenTheOffsetIndexIsFull()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), LogConfig.Default with { SegmentIndexBytes = 10 * OffsetIndex.EntrySize, IndexIntervalBytes = 1 });
        for (var i = 0; i < 50; i++)
        {
            log.Append(TestBatches.Build(1));
        }
        Assert.True(log.SegmentCount >= 4, $"segments {log.SegmentCount}");
        Assert.Equal(50, LogAppendReadTests.ReadAll(log).Count);
    }

    [Fact]
    public void RollFlushesTheFinishedSegmentInTheBackground()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), LogAppendReadTests.SmallSegments);
        for (var i = 0; i < 100; i++)
        {
            log.Append(TestBatches.Build(2, valueSize: 60));
        }
        var activeBase = log.Current.SegmentBaseOffsets[^1];
        Assert.True(SpinWait.SpinUntil(() => log.RecoveryPoint >= activeBase, TimeSpan.FromSeconds(30)));
        Assert.True(log.RecoveryPoint < log.LogEndOffset);
    }

    [Fact]
    public void FlushMessagesOneMakesEveryAppendDurable()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), LogConfig.Default with { FlushMessages = 1 });
        for (var i = 0; i < 5; i++)
        {
            log.Append(TestBatches.Build(3));
            Assert.Equal(log.LogEndOffset, log.RecoveryPoint);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomTornTailsRecoverToTheLastWholeBatch(int seed)
    {
        using var dir = new TempLogDir();
        using var live = Log.Open(dir.PartitionDir(), LogConfig.Default);
        var ends = new List<(long Position, long NextOffset)>();
        long position = 0;
        var random = new Random(seed);
        for (var i = 0; i < 100; i++)
        {
            var batch = TestBatches.Build(1 + random.Next(5), valueSize: random.Next(200));
            var info = live.Append(batch);
            position += batch.Length;
            ends.Add((position, info.LastOffset + 1));
        }
        for (var trial = 0; trial < 8; trial++)
        {
            var cut = random.NextInt64(1, position);
            var copy = dir.CrashCopy(live.Dir, seed * 100 + trial);
            using (var f = File.OpenWrite(Path.Combine(copy, $"{0:D20}.log")))
            {
                f.SetLength(cut);
            }
            using var log = Log.Open(copy, LogConfig.Default);
            var expected = ends.LastOrDefault(e => e.Position <= cut).NextOffset;
            Assert.Equal(expected, log.LogEndOffset);
            Assert.Equal(expected, log.Append(TestBatches.Build(1)).FirstOffset);
        }
    }
}
