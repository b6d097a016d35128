using Broker.Compat.Tests.Harness;
using Broker.Compat.Tests.Hostile;
using Broker.Protocol.Messages;

namespace Broker.Compat.Tests.Durability;

/// <summary>
/// kill -9 of the broker process while acks=all produces stream in: after a restart every
/// acknowledged record is there at the offset it was acknowledged with, and new appends continue
/// right after the log end (no gap, no reuse). A torn or corrupted tail is cut back on recovery.
/// </summary>
public sealed class CrashRecoveryTests
{
    private const int BatchSize = 5;

    public static TheoryData<string> FlushModes() => new() { "default", "fsync-every-append" };

    [Theory(Timeout = 180_000)]
    [MemberData(nameof(FlushModes))]
    public async Task Kill9_during_acks_all_stream_keeps_every_acknowledged_record(string mode)
    {
        var settings = mode == "default"
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { ["log.flush.interval.messages"] = "1" };
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions { Settings = settings });
        using (var setup = await RawKafkaClient.ConnectAsync(broker.Port))
        {
            Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(setup, "crash", 1,
                new Dictionary<string, string> { ["segment.bytes"] = "16384" })).ErrorCode);
        }

        // Several producers stream acks=all batches; the broker dies under them after enough acks.
        var acked = new System.Collections.Concurrent.ConcurrentDictionary<long, string>();
        var producers = Enumerable.Range(0, 3).Select(p => Task.Run(async () =>
        {
            try
            {
                using var client = await RawKafkaClient.ConnectAsync(broker.Port);
                for (var n = 0; ; n++)
                {
                    var prefix = $"p{p}-b{n}-";
                    var r = await RawRequests.ProduceAsync(client, "crash", 0, RawRequests.Batch(BatchSize, valueSize: 200, keyPrefix: prefix));
                    Assert.Equal((short)ErrorCode.None, r.ErrorCode);
                    Assert.True(acked.TryAdd(r.BaseOffset, prefix), $"offset {r.BaseOffset} acknowledged twice");
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                // the broker died: expected
            }
        })).ToArray();
        var wait = System.Diagnostics.Stopwatch.StartNew();
        while (acked.Count < 300 && wait.Elapsed < TimeSpan.FromSeconds(60) && !producers.All(t => t.IsCompleted))
        {
            await Task.Delay(20);
        }
        Assert.True(acked.Count >= 300, $"only {acked.Count} batches acknowledged before the kill:\n{broker.Output}");
        await broker.Kill9Async();
        await Task.WhenAll(producers);

        await broker.RestartAsync();
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);
        var lastAckedEnd = acked.Keys.Max() + BatchSize;
        var kcat = new Kcat(broker.BootstrapServers, TimeSpan.FromSeconds(60));
        var records = await kcat.ConsumeAsync("crash", 0, 0, (int)lastAckedEnd);
        for (var i = 0; i < records.Count; i++)
        {
            Assert.Equal(i, records[i].Offset);
        }
        foreach (var (offset, prefix) in acked)
        {
            for (var k = 0; k < BatchSize; k++)
            {
                Assert.Equal($"{prefix}key-{k}", records[(int)offset + k].Key);
            }
        }

        // Appends continue at the recovered log end: at or after every acknowledged record, with no hole.
        var highWatermark = (await RawRequests.FetchAsync(client, "crash", 0, 0)).HighWatermark;
        Assert.True(highWatermark >= lastAckedEnd, $"high watermark {highWatermark} below the last acknowledged end {lastAckedEnd}");
        Assert.Equal(0, (highWatermark - lastAckedEnd) % BatchSize);
        var after = await RawRequests.ProduceAsync(client, "crash", 0, RawRequests.Batch(BatchSize, keyPrefix: "after-"));
        Assert.Equal((short)ErrorCode.None, after.ErrorCode);
        Assert.Equal(highWatermark, after.BaseOffset);
    }

    public static TheoryData<string> TailDamage() => new() { "truncated", "corrupted", "garbage-appended" };

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(TailDamage))]
    public async Task A_damaged_tail_is_cut_back_on_recovery(string damage)
    {
        await using var broker = await BrokerProcess.StartAsync();
        using (var client = await RawKafkaClient.ConnectAsync(broker.Port))
        {
            Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(client, "torn")).ErrorCode);
            for (var n = 0; n < 10; n++)
            {
                var r = await RawRequests.ProduceAsync(client, "torn", 0, RawRequests.Batch(BatchSize, keyPrefix: $"b{n}-"));
                Assert.Equal(n * BatchSize, r.BaseOffset);
            }
        }
        await broker.Kill9Async();

        var log = Directory.GetFiles(Path.Combine(broker.LogDirs, "torn-0"), "*.log").OrderBy(f => f, StringComparer.Ordinal).Last();
        var length = new FileInfo(log).Length;
        using (var file = new FileStream(log, FileMode.Open, FileAccess.ReadWrite))
        {
            switch (damage)
            {
                case "truncated":
                    file.SetLength(length - 7);
                    break;
                case "corrupted":
                    file.Position = length - 3;
                    file.Write([0xDE, 0xAD, 0xBF]);
                    break;
                default:
                    file.Position = length;
                    file.Write(new byte[] { 0, 0, 0, 0, 0, 0, 0, 50, 0, 0, 0, 99, 1, 2, 3 });
                    break;
            }
        }

        await broker.RestartAsync();
        using var after = await RawKafkaClient.ConnectAsync(broker.Port);
        var expectedEnd = damage == "garbage-appended" ? 50 : 45; // the last batch is lost unless only junk followed it
        var fetched = await RawRequests.FetchOnceLedAsync(after, "torn", 0, 0, TimeSpan.FromSeconds(30));
        Assert.Equal((short)ErrorCode.None, fetched.ErrorCode);
        Assert.Equal(expectedEnd, fetched.HighWatermark);
        var records = await new Kcat(broker.BootstrapServers, TimeSpan.FromSeconds(60)).ConsumeAsync("torn", 0, 0, expectedEnd);
        for (var i = 0; i < expectedEnd; i++)
        {
            Assert.Equal($"b{i / BatchSize}-key-{i % BatchSize}", records[i].Key);
        }
        var next = await RawRequests.ProduceAsync(after, "torn", 0, RawRequests.Batch(BatchSize, keyPrefix: "new-"));
        Assert.Equal((short)ErrorCode.None, next.ErrorCode);
        Assert.Equal(expectedEnd, next.BaseOffset);
    }

    [Fact(Timeout = 120_000)]
    public async Task Topics_and_configs_survive_restarts_and_retention_deletes_old_segments()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["log.retention.check.interval.ms"] = "300" },
        });
        using (var client = await RawKafkaClient.ConnectAsync(broker.Port))
        {
            Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(client, "kept", 3)).ErrorCode);
            Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(client, "retained", 1, new Dictionary<string, string>
            {
                ["segment.bytes"] = "2048",
                ["retention.ms"] = "3000",
            })).ErrorCode);
            for (var n = 0; n < 5; n++)
            {
                Assert.Equal((short)ErrorCode.None, (await RawRequests.ProduceAsync(client, "kept", n % 3, RawRequests.Batch(BatchSize))).ErrorCode);
            }
        }
        await broker.RestartAsync(crash: true);
        await broker.RestartAsync();

        using var after = await RawKafkaClient.ConnectAsync(broker.Port);
        var metadata = await after.SendAsync<MetadataResponse>(ApiKey.Metadata, 9, new MetadataRequest { Topics = null, AllowAutoTopicCreation = false });
        Assert.Equal(3, metadata.Topics.Single(t => t.Name == "kept").Partitions.Count);
        Assert.Contains(metadata.Topics, t => t.Name == "retained");
        Assert.Equal(10, (await RawRequests.FetchAsync(after, "kept", 0, 0)).HighWatermark);

        // The retention topic's configs survived: tiny segments roll, and old ones go after retention.ms.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var n = 0; n < 20; n++)
        {
            var r = await RawRequests.ProduceAsync(after, "retained", 0, RawRequests.Batch(BatchSize, valueSize: 100, timestamp: now));
            Assert.Equal((short)ErrorCode.None, r.ErrorCode);
        }
        var dir = Path.Combine(broker.LogDirs, "retained-0");
        var segmentsBefore = Directory.GetFiles(dir, "*.log").Length;
        Assert.True(segmentsBefore >= 5, $"segment.bytes=2048 should have rolled segments, found {segmentsBefore}");
        var wait = System.Diagnostics.Stopwatch.StartNew();
        long logStart = 0;
        while (wait.Elapsed < TimeSpan.FromSeconds(40))
        {
            var list = await after.SendAsync<ListOffsetsResponse>(ApiKey.ListOffsets, 7, new ListOffsetsRequest
            {
                ReplicaId = -1,
                Topics = [new ListOffsetsRequest.ListOffsetsTopic { Name = "retained", Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = -2 }] }],
            });
            logStart = list.Topics.Single().Partitions.Single().Offset;
            if (logStart > 0 && Directory.GetFiles(dir, "*.log").Length < segmentsBefore)
            {
                break;
            }
            await Task.Delay(250);
        }
        Assert.True(logStart > 0, "retention never advanced the log start offset");
        Assert.True(Directory.GetFiles(dir, "*.log").Length < segmentsBefore, "retention deleted no segment file");
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, (await RawRequests.FetchAsync(after, "retained", 0, 0)).ErrorCode);
    }
}
