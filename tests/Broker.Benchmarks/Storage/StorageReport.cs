using System.Diagnostics;
using System.Globalization;
using Broker.Actors.Storage;

namespace Broker.Benchmarks.Storage;

/// <summary>
/// One-shot storage measurements (too large for BenchmarkDotNet's repetition): append and read
/// throughput over a 1 GB log, its reopen time with and without the clean-shutdown marker, and the
/// startup of a log dir with many partitions. Run: <c>dotnet run -c Release -- storage-report
/// [--log-mb 1024] [--partitions 1000] [--partition-mb 10]</c>. Files are in the page cache, as
/// after a kill -9 of the broker (not a power loss).
/// </summary>
public static class StorageReport
{
    public static void Run(string[] args)
    {
        var logMb = Arg(args, "--log-mb", 1024);
        var partitions = Arg(args, "--partitions", 1000);
        var partitionMb = Arg(args, "--partition-mb", 10);
        var root = StorageData.TempDir("report");
        try
        {
            SingleLog(root, logMb);
            FsyncEveryAppend(root);
            ManyPartitions(root, partitions, partitionMb);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void SingleLog(string root, int logMb)
    {
        var dir = Path.Combine(root, "single-0");
        var config = LogConfig.Default with { SegmentBytes = 256 * 1024 * 1024 };
        var template = StorageData.Batch(16);
        var batches = (int)((long)logMb * 1024 * 1024 / template.Length);
        var buffer = new byte[template.Length];
        long end;
        var log = Log.Open(dir, config);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < batches; i++)
        {
            template.CopyTo(buffer, 0);
            log.Append(buffer);
        }
        sw.Stop();
        Report("append 16 x 1 KB batches", batches, (long)batches * template.Length, sw.Elapsed);
        end = log.LogEndOffset;
        log.UpdateHighWatermark(end);

        sw.Restart();
        long offset = 0, bytes = 0, reads = 0;
        while (offset < end)
        {
            using var r = log.Read(offset, 1024 * 1024, end);
            bytes += r.Length;
            reads++;
            offset = r.FirstOffset + LastOffsetDelta(r) + 1;
        }
        sw.Stop();
        Report("read 1 MB fetches", reads, bytes, sw.Elapsed);

        // Crash: copy the open log's files (no close, no marker), then reopen the copy.
        var crashed = Path.Combine(root, "crashed-0");
        Directory.CreateDirectory(crashed);
        foreach (var f in Directory.GetFiles(dir))
        {
            File.Copy(f, Path.Combine(crashed, Path.GetFileName(f)));
        }
        log.Close();

        sw.Restart();
        using (var clean = Log.Open(dir, config, new LogStartupState(end, 0, end, HadCleanShutdown: true)))
        {
            sw.Stop();
            Console.WriteLine($"open {logMb} MB log, clean shutdown marker: {sw.Elapsed.TotalMilliseconds:F1} ms (segments recovered: {clean.RecoveredSegmentCount})");
        }
        sw.Restart();
        using (var unclean = Log.Open(crashed, config))
        {
            sw.Stop();
            Console.WriteLine($"open {logMb} MB log after kill -9, recovery point 0: {sw.Elapsed.TotalMilliseconds:F1} ms " +
                $"({logMb / sw.Elapsed.TotalSeconds:F0} MB/s, segments recovered: {unclean.RecoveredSegmentCount}, end {unclean.LogEndOffset} of {end})");
        }
    }

    private static long LastOffsetDelta(LogReadResult r)
    {
        var span = r.Records.Span;
        long last = 0;
        var pos = 0;
        while (pos < span.Length && Broker.Protocol.Records.RecordBatch.TryRead(span.Slice(pos), out var b, out var size))
        {
            last = b.LastOffset;
            pos += size;
        }
        return last - r.FirstOffset;
    }

    private static void FsyncEveryAppend(string root)
    {
        var template = StorageData.Batch(16);
        var buffer = new byte[template.Length];
        using var log = Log.Open(Path.Combine(root, "fsync-0"), LogConfig.Default with { FlushMessages = 1 });
        var n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 3000)
        {
            template.CopyTo(buffer, 0);
            log.Append(buffer);
            n++;
        }
        Report("append with flush.messages=1 (fsync each)", n, (long)n * template.Length, sw.Elapsed);
    }

    private static void ManyPartitions(string root, int partitions, int partitionMb)
    {
        var config = new LogManagerConfig { LogDirs = [Path.Combine(root, "data")] };
        var template = StorageData.Batch(16);
        var buffer = new byte[template.Length];
        var perPartition = (int)((long)partitionMb * 1024 * 1024 / template.Length);
        var sw = Stopwatch.StartNew();
        using (var manager = LogManager.Startup(config))
        {
            for (var p = 0; p < partitions; p++)
            {
                var log = manager.GetOrCreateLog(new TopicPartition("bench", p));
                for (var i = 0; i < perPartition; i++)
                {
                    template.CopyTo(buffer, 0);
                    log.Append(buffer);
                }
                log.UpdateHighWatermark(log.LogEndOffset);
            }
            Console.WriteLine($"filled {partitions} partitions x {partitionMb} MB in {sw.Elapsed.TotalSeconds:F1} s");
            sw.Restart();
            manager.Shutdown();
            Console.WriteLine($"clean shutdown of {partitions} logs: {sw.Elapsed.TotalMilliseconds:F0} ms");
        }
        sw.Restart();
        using (var restarted = LogManager.Startup(config))
        {
            sw.Stop();
            Console.WriteLine($"startup with {restarted.LogCount} logs ({(long)partitions * partitionMb / 1024.0:F1} GB), clean: {sw.Elapsed.TotalMilliseconds:F0} ms");
            restarted.Shutdown();
        }
        File.Delete(Path.Combine(config.LogDirs[0], LogManager.CleanShutdownFile));
        sw.Restart();
        using (var recovered = LogManager.Startup(config))
        {
            sw.Stop();
            Console.WriteLine($"startup with {recovered.LogCount} logs without the marker (recovery from checkpointed recovery points): {sw.Elapsed.TotalMilliseconds:F0} ms");
            recovered.Shutdown();
        }
    }

    private static void Report(string what, long ops, long bytes, TimeSpan elapsed) =>
        Console.WriteLine($"{what}: {ops} ops, {bytes / 1048576.0 / elapsed.TotalSeconds:F0} MB/s, {ops / elapsed.TotalSeconds:F0} ops/s ({elapsed.TotalSeconds:F2} s)");

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
