using Broker.Actors.Storage;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Storage;

/// <summary>kill -9 stand-ins: a live log's files are copied (or damaged) and reopened without a clean shutdown.</summary>
public class LogRecoveryTests
{
    private static readonly LogConfig Config = LogAppendReadTests.SmallSegments;

    private static Log Filled(string path, int batches, out List<long> ends)
    {
        var log = Log.Open(path, Config);
        ends = [];
        for (var i = 0; i < batches; i++)
        {
            var info = log.Append(TestBatches.Build(1 + i % 3, valueSize: 50));
            ends.Add(info.LastOffset + 1);
        }
        return log;
    }

    private static string LastLogFile(string dir) =>
        Directory.GetFiles(dir, "*.log").OrderBy(f => f, StringComparer.Ordinal).Last();

    private static void AssertContinuous(Log log)
    {
        var batches = LogAppendReadTests.ReadAll(log, log.LogStartOffset);
        for (var i = 1; i < batches.Count; i++)
        {
            Assert.Equal(batches[i - 1].Last + 1, batches[i].Base);
        }
        Assert.Equal(log.LogEndOffset, batches.Count == 0 ? log.LogStartOffset : batches[^1].Last + 1);
    }

    [Fact]
    public void TornTailIsCutAtTheLastWholeBatchAndOffsetsContinue()
    {
        using var dir = new TempLogDir();
        using var live = Filled(dir.PartitionDir(), 200, out var ends);
        var copy = dir.CrashCopy(live.Dir, 1);
        var last = LastLogFile(copy);
        var length = new FileInfo(last).Length;
        using (var f = File.OpenWrite(last))
        {
            f.SetLength(length - 7);
        }
        using var log = Log.Open(copy, Config);
        Assert.True(log.TruncatedBytesOnOpen > 0);
        Assert.Equal(ends[^2], log.LogEndOffset);
        AssertContinuous(log);
        Assert.Equal(ends[^2], log.Append(TestBatches.Build(1)).FirstOffset);
        AssertContinuous(log);
    }

    [Fact]
    public void CorruptBatchMidSegmentTruncatesFromThere()
    {
        using var dir = new TempLogDir();
        using var live = Filled(dir.PartitionDir(), 200, out _);
        var copy = dir.CrashCopy(live.Dir, 1);
        var last = LastLogFile(copy);
        var bytes = File.ReadAllBytes(last);
        var corruptAt = bytes.Length / 2;
        bytes[corruptAt] ^= 0x5A;
        File.WriteAllBytes(last, bytes);
        using var log = Log.Open(copy, Config);
        Assert.True(log.TruncatedBytesOnOpen > 0);
        Assert.True(log.LogEndOffset < live.LogEndOffset);
        AssertContinuous(log);
        var next = log.LogEndOffset;
        Assert.Equal(next, log.Append(TestBatches.Build(2)).FirstOffset);
    }

    [Fact]
    public void CorruptOlderSegmentDropsEverythingAfterIt()
    {
        using var dir = new TempLogDir();
        using var live = Filled(dir.PartitionDir(), 200, out _);
        var copy = dir.CrashCopy(live.Dir, 1);
        var logs = Directory.GetFiles(copy, "*.log").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var victim = logs[logs.Length / 2];
        var bytes = File.ReadAllBytes(victim);
        bytes[100] ^= 0x01;
        File.WriteAllBytes(victim, bytes);
        // Recovery point 0: every segment is validated (no checkpoint says any of them was flushed).
        using var log = Log.Open(copy, Config, new LogStartupState(RecoveryPoint: 0));
        Assert.True(log.SegmentCount <= logs.Length / 2 + 1);
        AssertContinuous(log);
    }

    [Fact]
    public void MissingAndGarbageIndexesAreRebuilt()
    {
        using var dir = new TempLogDir();
        using var live = Filled(dir.PartitionDir(), 200, out _);
        var expected = LogAppendReadTests.ReadAll(live);
        var copy = dir.CrashCopy(live.Dir, 1);
        var indexes = Directory.GetFiles(copy, "*.index").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        File.Delete(indexes[0]);
        File.WriteAllBytes(indexes[1], Enumerable.Repeat((byte)0x7F, 64).ToArray());
        File.WriteAllBytes(Directory.GetFiles(copy, "*.timeindex").OrderBy(f => f, StringComparer.Ordinal).ToArray()[2], [1, 2, 3]);
        // Even with the clean-shutdown flag, sanity checks catch the damaged indexes.
        using var log = Log.Open(copy, Config, new LogStartupState(live.LogEndOffset, 0, 0, HadCleanShutdown: true));
        Assert.True(log.RecoveredSegmentCount >= 3);
        Assert.Equal(expected, LogAppendReadTests.ReadAll(log));
        for (var offset = 0L; offset < log.LogEndOffset; offset += 7)
        {
            using var r = log.Read(offset, 1, log.LogEndOffset);
            var b = TestBatches.Batches(r.Records.Span)[0];
            Assert.InRange(offset, b.Base, b.Last);
        }
        Assert.NotEqual(0, new FileInfo(indexes[0]).Length);
    }

    [Fact]
    public void CleanShutdownSkipsTheScanAndRecoveryPointLimitsIt()
    {
        using var dir = new TempLogDir();
        var path = dir.PartitionDir();
        long end;
        using (var log = Filled(path, 300, out _))
        {
            end = log.LogEndOffset;
            log.Close();
        }
        using (var clean = Log.Open(path, Config, new LogStartupState(end, 0, end, HadCleanShutdown: true)))
        {
            Assert.Equal(0, clean.RecoveredSegmentCount);
            Assert.Equal(end, clean.LogEndOffset);
            clean.Close();
        }
        int segments;
        using (var unclean = Log.Open(path, Config))
        {
            segments = unclean.SegmentCount;
            Assert.Equal(segments, unclean.RecoveredSegmentCount);
            Assert.Equal(end, unclean.LogEndOffset);
            unclean.Close();
        }
        using var partial = Log.Open(path, Config, new LogStartupState(RecoveryPoint: end));
        Assert.Equal(1, partial.RecoveredSegmentCount);
        Assert.Equal(end, partial.LogEndOffset);
    }

    [Fact]
    public void CheckpointedStartAndHighWatermarkAreRestored()
    {
        using var dir = new TempLogDir();
        var path = dir.PartitionDir();
        using (var log = Filled(path, 100, out _))
        {
            log.UpdateHighWatermark(log.LogEndOffset);
            log.Close();
        }
        using var reopened = Log.Open(path, Config, new LogStartupState(0, LogStartOffset: 30, HighWatermark: 120));
        Assert.Equal(30, reopened.LogStartOffset);
        Assert.Equal(120, reopened.HighWatermark);
        using var r = reopened.Read(10, 100, long.MaxValue);
        Assert.Equal(ErrorCode.OffsetOutOfRange, r.ErrorCode);
    }

    [Fact]
    public void RecoveryValidatesOnlyAfterTheRecoveryPointWithinASegment()
    {
        using var dir = new TempLogDir();
        var config = LogConfig.Default with { IndexIntervalBytes = 256 };
        using var live = Log.Open(dir.PartitionDir(), config);
        for (var i = 0; i < 300; i++)
        {
            live.Append(TestBatches.Build(2, valueSize: 50, timestamp: 1_000 + i));
        }
        live.Flush();
        var recoveryPoint = live.RecoveryPoint;
        Assert.Equal(live.LogEndOffset, recoveryPoint);
        for (var i = 300; i < 400; i++)
        {
            live.Append(TestBatches.Build(2, valueSize: 50, timestamp: 1_000 + i));
        }
        var copy = dir.CrashCopy(live.Dir, 1);
        var file = LastLogFile(copy);
        var bytes = File.ReadAllBytes(file);
        // Damage one byte before the recovery point (trusted, so not scanned) and tear the tail.
        var flushedDamage = bytes.Length / 10;
        bytes[flushedDamage] ^= 0x10;
        File.WriteAllBytes(file, bytes[..^5]);

        using var log = Log.Open(copy, config, new LogStartupState(RecoveryPoint: recoveryPoint));
        Assert.Equal(1, log.SegmentCount);
        Assert.Equal(live.LogEndOffset - 2, log.LogEndOffset);
        Assert.InRange(log.TruncatedBytesOnOpen, 1, 200);
        for (var offset = recoveryPoint - 50; offset < log.LogEndOffset; offset++)
        {
            using var r = log.Read(offset, 1, log.LogEndOffset);
            var b = TestBatches.Batches(r.Records.Span)[0];
            Assert.InRange(offset, b.Base, b.Last);
        }
        Assert.Equal(2 * 398 + 1, log.FetchOffsetByTimestamp(ListOffsetsTimestamp.MaxTimestamp).Offset);
        // Batch i holds timestamps 1000 + i and 1001 + i: batch i - 1 ends with the first match.
        Assert.Equal(2 * 349 + 1, log.FetchOffsetByTimestamp(1_350).Offset);
        Assert.Equal(2 * 99 + 1, log.FetchOffsetByTimestamp(1_100).Offset);
        Assert.Equal(log.LogEndOffset, log.Append(TestBatches.Build(1)).FirstOffset);

        // Without a recovery point the damaged batch is found and everything from it is cut.
        using var full = Log.Open(dir.CrashCopy(copy, 2), config);
        Assert.True(full.LogEndOffset < recoveryPoint);
    }
}
