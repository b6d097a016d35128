using Broker.Actors.Storage;

namespace Broker.Actors.Tests.Storage;

public class LogTruncationTests
{
    private static readonly LogConfig Config = LogAppendReadTests.SmallSegments with { FileDeleteDelayMs = 0 };

    [Theory]
    [InlineData(150)]
    [InlineData(3)]
    [InlineData(299)]
    public void TruncateToRemovesTheTailAndAppendsContinueThere(int target)
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config);
        for (var i = 0; i < 100; i++)
        {
            log.Append(TestBatches.Build(3, valueSize: 60), AppendOrigin.Client, leaderEpoch: i < 50 ? 1 : 2);
        }
        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.True(log.TruncateTo(target));
        // Batches hold 3 records; a batch containing the target goes entirely.
        Assert.Equal(target / 3 * 3, log.LogEndOffset);
        Assert.True(log.HighWatermark <= log.LogEndOffset);
        var segmentFiles = Directory.GetFiles(log.Dir, "*.log").Length;
        Assert.Equal(log.SegmentCount, segmentFiles);
        var next = log.LogEndOffset;
        Assert.Equal(next, log.Append(TestBatches.Build(2), AppendOrigin.Client, 3).FirstOffset);
        var all = LogAppendReadTests.ReadAll(log);
        for (var i = 1; i < all.Count; i++)
        {
            Assert.Equal(all[i - 1].Last + 1, all[i].Base);
        }
        Assert.Equal(3, log.LeaderEpochCache.LatestEpoch);
        Assert.Equal((3, log.LogEndOffset), log.LeaderEpochCache.EndOffsetFor(3, log.LogEndOffset));

        // The truncated log recovers to the same state after a crash.
        var copy = dir.CrashCopy(log.Dir, 9);
        using var reopened = Log.Open(copy, Config);
        Assert.Equal(log.LogEndOffset, reopened.LogEndOffset);
    }

    [Fact]
    public void TruncateFullyAndStartAtEmptiesTheLog()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config);
        for (var i = 0; i < 50; i++)
        {
            log.Append(TestBatches.Build(3, valueSize: 60));
        }
        log.TruncateFullyAndStartAt(1000);
        Assert.Equal(1000, log.LogStartOffset);
        Assert.Equal(1000, log.LogEndOffset);
        Assert.Equal(1, log.SegmentCount);
        Assert.Equal(1000, log.Append(TestBatches.Build(1)).FirstOffset);
        Assert.Single(Directory.GetFiles(log.Dir, "*.log"));
    }

    [Fact]
    public void FollowerAppendKeepsOffsetsAndRejectsGoingBackwards()
    {
        using var dir = new TempLogDir();
        using var leader = Log.Open(dir.PartitionDir("a"), Config);
        using var follower = Log.Open(dir.PartitionDir("b"), Config);
        for (var i = 0; i < 40; i++)
        {
            leader.Append(TestBatches.Build(2, valueSize: 30), AppendOrigin.Client, leaderEpoch: 5 + i / 20);
        }
        var fetched = 0L;
        while (fetched < leader.LogEndOffset)
        {
            using var r = leader.Read(fetched, 700, leader.LogEndOffset);
            var copy = r.Records.ToArray();
            var info = follower.AppendAsFollower(copy);
            Assert.True(info.IsSuccess);
            Assert.Equal(fetched, info.FirstOffset);
            fetched = info.LastOffset + 1;
        }
        Assert.Equal(leader.LogEndOffset, follower.LogEndOffset);
        Assert.Equal(leader.LeaderEpochCache.Entries, follower.LeaderEpochCache.Entries);
        using (var r = leader.Read(0, 200, leader.LogEndOffset))
        {
            Assert.Throws<LogStorageException>(() => follower.AppendAsFollower(r.Records.ToArray()));
        }
    }
}
