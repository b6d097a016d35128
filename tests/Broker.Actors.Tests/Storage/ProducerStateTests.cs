using Broker.Actors.Storage;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Storage;

public class ProducerStateTests
{
    private static readonly LogConfig Config = LogAppendReadTests.SmallSegments;

    private static byte[] Batch(long pid, short epoch, int seq, int records = 2) =>
        TestBatches.Build(records, valueSize: 40, producerId: pid, producerEpoch: epoch, baseSequence: seq);

    [Fact]
    public void RetriedBatchIsADuplicateWithTheOriginalOffsets()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config);
        log.Append(TestBatches.Build(3));
        var first = log.Append(Batch(7, 0, 0));
        var second = log.Append(Batch(7, 0, 2));
        Assert.Equal(3, first.FirstOffset);
        var end = log.LogEndOffset;
        var retry = log.Append(Batch(7, 0, 0));
        Assert.True(retry.IsSuccess);
        Assert.True(retry.IsDuplicate);
        Assert.Equal((first.FirstOffset, first.LastOffset), (retry.FirstOffset, retry.LastOffset));
        Assert.Equal(end, log.LogEndOffset);
        var retry2 = log.Append(Batch(7, 0, 2));
        Assert.Equal(second.FirstOffset, retry2.FirstOffset);
    }

    [Fact]
    public void SequenceGapsAndStaleEpochsAreRejected()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config);
        Assert.True(log.Append(Batch(1, 3, 0)).IsSuccess);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(Batch(1, 3, 5)).ErrorCode);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(Batch(1, 3, 1)).ErrorCode);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, log.Append(Batch(1, 2, 2)).ErrorCode);
        // A bumped epoch must restart at sequence 0.
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(Batch(1, 4, 2)).ErrorCode);
        Assert.True(log.Append(Batch(1, 4, 0)).IsSuccess);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, log.Append(Batch(1, 3, 2)).ErrorCode);
        Assert.Equal(4, log.LogEndOffset);
    }

    [Fact]
    public void UnknownProducerIsAcceptedAtAnySequence()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config);
        // Its earlier batches were removed by retention: the state starts from this batch.
        Assert.True(log.Append(Batch(9, 1, 42)).IsSuccess);
        Assert.True(log.Append(Batch(9, 1, 44)).IsSuccess);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(Batch(9, 1, 50)).ErrorCode);
    }

    [Fact]
    public void SequenceWrapsAroundIntMax()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config);
        Assert.True(log.Append(Batch(3, 0, int.MaxValue - 1)).IsSuccess);
        Assert.True(log.Append(Batch(3, 0, 0)).IsSuccess);
    }

    [Fact]
    public void SeveralBatchesOfOneProducerInOneAppendAreCheckedInOrder()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config);
        Assert.True(log.Append(TestBatches.Concat(Batch(5, 0, 0), Batch(5, 0, 2))).IsSuccess);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(TestBatches.Concat(Batch(5, 0, 4), Batch(5, 0, 7))).ErrorCode);
        Assert.Equal(4, log.LogEndOffset);
    }

    [Fact]
    public void StateIsRecoveredFromSnapshotPlusLogTail()
    {
        using var dir = new TempLogDir();
        using var live = Log.Open(dir.PartitionDir(), Config);
        var seqs = new Dictionary<long, int>();
        var offsets = new Dictionary<(long, int), long>();
        for (var i = 0; i < 300; i++)
        {
            var pid = 100 + i % 4;
            var seq = seqs.GetValueOrDefault(pid);
            var info = live.Append(Batch(pid, 1, seq));
            Assert.True(info.IsSuccess);
            offsets[(pid, seq)] = info.FirstOffset;
            seqs[pid] = seq + 2;
        }
        var snapshots = Directory.GetFiles(live.Dir, "*.snapshot");
        Assert.NotEmpty(snapshots);

        // Crash: the snapshots written at rolls plus the active segment's batches rebuild the state.
        var copy = dir.CrashCopy(live.Dir, 1);
        using var log = Log.Open(copy, Config);
        foreach (var (pid, next) in seqs)
        {
            var retry = log.Append(Batch(pid, 1, next - 2));
            Assert.True(retry.IsDuplicate, $"pid {pid}");
            Assert.Equal(offsets[(pid, next - 2)], retry.FirstOffset);
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(Batch(pid, 1, next + 2)).ErrorCode);
            Assert.True(log.Append(Batch(pid, 1, next)).IsSuccess);
        }

        // Without any snapshot the whole log is replayed.
        var bare = dir.CrashCopy(live.Dir, 2);
        foreach (var s in Directory.GetFiles(bare, "*.snapshot"))
        {
            File.Delete(s);
        }
        using var replayed = Log.Open(bare, Config);
        Assert.Equal(4, replayed.WithLock(l => l.ProducerState.ProducerCount));
        Assert.True(replayed.Append(Batch(100, 1, seqs[100] - 2)).IsDuplicate);
    }

    [Fact]
    public void CleanCloseSnapshotsAtTheLogEnd()
    {
        using var dir = new TempLogDir();
        var path = dir.PartitionDir();
        long end;
        using (var log = Log.Open(path, Config))
        {
            log.Append(Batch(1, 0, 0));
            log.Append(Batch(1, 0, 2));
            end = log.LogEndOffset;
            log.Close();
        }
        Assert.Contains(Directory.GetFiles(path, "*.snapshot"), f => Path.GetFileName(f) == $"{end:D20}.snapshot");
        using var reopened = Log.Open(path, Config, new LogStartupState(end, 0, end, true));
        Assert.True(reopened.Append(Batch(1, 0, 2)).IsDuplicate);
    }

    [Fact]
    public void TruncationRewindsProducerState()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), Config with { FileDeleteDelayMs = 0 });
        log.Append(Batch(1, 0, 0));
        var cut = log.LogEndOffset;
        log.Append(Batch(1, 0, 2));
        log.TruncateTo(cut);
        // The batch with sequence 2 is gone: sending it again is new, not a duplicate.
        var again = log.Append(Batch(1, 0, 2));
        Assert.False(again.IsDuplicate);
        Assert.Equal(cut, again.FirstOffset);
    }

    [Fact]
    public void IdleProducersExpire()
    {
        using var dir = new TempLogDir();
        var time = new ManualTime(1_000_000);
        using var log = Log.Open(dir.PartitionDir(), Config with { ProducerIdExpirationMs = 1000 }, time: time);
        log.Append(TestBatches.Build(1, timestamp: 1_000_000, producerId: 1, producerEpoch: 0, baseSequence: 0));
        time.NowMs += 5000;
        log.DeleteOldSegments();
        Assert.Equal(0, log.WithLock(l => l.ProducerState.ProducerCount));
    }
}
