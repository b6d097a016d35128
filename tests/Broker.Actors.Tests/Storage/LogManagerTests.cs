using Broker.Actors.Storage;

namespace Broker.Actors.Tests.Storage;

public class LogManagerTests
{
    private static LogManagerConfig ConfigFor(TempLogDir dir, int dirs = 2) => new()
    {
        LogDirs = Enumerable.Range(0, dirs).Select(i => Path.Combine(dir.Root, $"data{i}")).ToArray(),
        DefaultLogConfig = LogAppendReadTests.SmallSegments with { FileDeleteDelayMs = 0 },
    };

    [Fact]
    public void RestartAfterCleanShutdownRestoresEveryLogWithoutRecovery()
    {
        using var dir = new TempLogDir();
        var config = ConfigFor(dir);
        var ends = new Dictionary<TopicPartition, long>();
        var manager = LogManager.Startup(config);
        for (var p = 0; p < 6; p++)
        {
            var tp = new TopicPartition("orders.v1-x", p);
            var log = manager.GetOrCreateLog(tp);
            for (var i = 0; i < 20 + p; i++)
            {
                log.Append(TestBatches.Build(2, valueSize: 50));
            }
            log.UpdateHighWatermark(log.LogEndOffset - 1);
            ends[tp] = log.LogEndOffset;
        }
        // Partitions are spread over both dirs.
        Assert.All(config.LogDirs, d => Assert.Equal(3, Directory.GetDirectories(d).Length));
        manager.GetLog(new TopicPartition("orders.v1-x", 0))!.UpdateHighWatermark(0);
        manager.GetLog(new TopicPartition("orders.v1-x", 1))!.DeleteRecordsBefore(0);
        manager.Shutdown();
        Assert.All(config.LogDirs, d => Assert.True(File.Exists(Path.Combine(d, LogManager.CleanShutdownFile))));

        using var restarted = LogManager.Startup(config);
        Assert.Equal(6, restarted.LogCount);
        Assert.Equal(0, restarted.UncleanlyOpenedLogs);
        Assert.All(config.LogDirs, d => Assert.False(File.Exists(Path.Combine(d, LogManager.CleanShutdownFile))));
        foreach (var (tp, end) in ends)
        {
            var log = restarted.GetLog(tp)!;
            Assert.Equal(end, log.LogEndOffset);
            Assert.Equal(0, log.RecoveredSegmentCount);
            Assert.Equal(tp.Partition == 0 ? 0 : end - 1, log.HighWatermark);
            Assert.Equal(end, log.Append(TestBatches.Build(1)).FirstOffset);
        }
    }

    [Fact]
    public void RestartWithoutTheMarkerRecoversFromTheRecoveryPoint()
    {
        using var dir = new TempLogDir();
        var config = ConfigFor(dir, dirs: 1);
        var manager = LogManager.Startup(config);
        var tp = new TopicPartition("t", 0);
        var log = manager.GetOrCreateLog(tp);
        for (var i = 0; i < 200; i++)
        {
            log.Append(TestBatches.Build(2, valueSize: 50));
        }
        var end = log.LogEndOffset;
        log.Flush();
        manager.CheckpointAll();
        manager.Shutdown();
        File.Delete(Path.Combine(config.LogDirs[0], LogManager.CleanShutdownFile));

        using var restarted = LogManager.Startup(config);
        Assert.Equal(1, restarted.UncleanlyOpenedLogs);
        var reopened = restarted.GetLog(tp)!;
        Assert.Equal(end, reopened.LogEndOffset);
        // Only the segment holding the checkpointed recovery point (the active one) was validated.
        Assert.Equal(1, reopened.RecoveredSegmentCount);
    }

    [Fact]
    public async Task DeleteLogRenamesThenRemovesTheDirectory()
    {
        using var dir = new TempLogDir();
        var config = ConfigFor(dir, dirs: 1);
        using var manager = LogManager.Startup(config);
        var tp = new TopicPartition("gone", 3);
        var log = manager.GetOrCreateLog(tp);
        log.Append(TestBatches.Build(2));
        var original = log.Dir;
        await manager.DeleteLog(tp).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(Directory.Exists(original));
        Assert.Null(manager.GetLog(tp));
        Assert.Empty(Directory.GetDirectories(config.LogDirs[0]));

        // A leftover "-delete" directory from a crash is removed at startup, not opened as a log.
        var leftover = Path.Combine(config.LogDirs[0], $"gone-3.{Guid.NewGuid():N}-delete");
        Directory.CreateDirectory(leftover);
        manager.Shutdown();
        using var restarted = LogManager.Startup(config);
        Assert.Equal(0, restarted.LogCount);
    }

    [Fact]
    public async Task A_deleted_logs_producer_state_and_epoch_cache_follow_its_directory_and_never_touch_a_recreated_topics_log()
    {
        using var dir = new TempLogDir();
        var config = ConfigFor(dir, dirs: 1);
        using var manager = LogManager.Startup(config);
        var tp = new TopicPartition("reborn", 0);
        var deleted = manager.GetOrCreateLog(tp, topicId: Guid.NewGuid());
        deleted.Append(TestBatches.Build(2, producerId: 7, producerEpoch: 0, baseSequence: 0), AppendOrigin.Client, leaderEpoch: 3);
        var original = deleted.Dir;
        // Only a closed log's directory moves (an open one would keep writing where it was).
        Assert.Throws<InvalidOperationException>(() => deleted.MoveDirectory(original + ".elsewhere"));

        var removal = manager.DeleteLog(tp);
        Assert.EndsWith(LogManager.DeleteDirSuffix, deleted.Dir);
        Assert.Equal(deleted.Dir, deleted.ProducerState.Dir);
        var reborn = manager.GetOrCreateLog(tp, topicId: Guid.NewGuid());
        Assert.Equal(original, reborn.Dir);
        await removal.WaitAsync(TimeSpan.FromSeconds(30));

        // Whatever still holds the deleted log writes into its (gone) directory, never into the new topic's.
        _ = Record.Exception(() => deleted.LeaderEpochCache.Assign(9, 100));
        _ = Record.Exception(deleted.ProducerState.TakeSnapshot);
        Assert.False(File.Exists(Path.Combine(original, LeaderEpochFileCache.FileName)));
        Assert.Empty(reborn.ProducerState.ListSnapshotOffsets());
        Assert.Empty(Directory.GetFiles(original, "*.snapshot"));
        Assert.Equal(0, reborn.LogEndOffset);
    }

    [Fact]
    public void TimersRunRetentionAndFlush()
    {
        using var dir = new TempLogDir();
        var config = ConfigFor(dir, dirs: 1) with
        {
            RetentionCheckIntervalMs = 20,
            FlushCheckIntervalMs = 20,
            DefaultLogConfig = LogAppendReadTests.SmallSegments with { RetentionBytes = 8000, RetentionMs = -1, FlushMs = 0, FileDeleteDelayMs = 0 },
        };
        using var manager = LogManager.Startup(config);
        var log = manager.GetOrCreateLog(new TopicPartition("t", 0));
        for (var i = 0; i < 200; i++)
        {
            log.Append(TestBatches.Build(2, valueSize: 50));
        }
        log.UpdateHighWatermark(log.LogEndOffset);
        manager.StartTimers();
        Assert.True(SpinWait.SpinUntil(() => log.LogStartOffset > 0 && log.RecoveryPoint == log.LogEndOffset, TimeSpan.FromSeconds(30)));
        Assert.True(log.Size <= 8000 + config.DefaultLogConfig.SegmentBytes);
    }
}
