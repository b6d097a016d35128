using System.Buffers.Binary;
using Broker.Compat.Tests.Harness;
using Broker.Protocol.Messages;
using Xunit.Abstractions;

namespace Broker.Compat.Tests.Hostile;

/// <summary>
/// Bad input gets Apache Kafka's error code or a closed connection, and never hurts anyone else:
/// exact codes over raw frames, then a flood of garbage from many connections while a normal
/// client keeps producing and fetching and the broker's RSS stays bounded.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output)
{
    [Fact(Timeout = 120_000)]
    public async Task Bad_requests_get_kafkas_error_codes()
    {
        await using var broker = await BrokerProcess.StartAsync();
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);
        Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(client, "hostile", 2,
            new Dictionary<string, string> { ["max.message.bytes"] = "4096" })).ErrorCode);

        var ok = await RawRequests.ProduceAsync(client, "hostile", 0, RawRequests.Batch(3));
        Assert.Equal((short)ErrorCode.None, ok.ErrorCode);
        Assert.Equal(0, ok.BaseOffset);

        // A flipped byte inside the CRC-covered part of the batch.
        var corrupt = RawRequests.Batch(3);
        corrupt[^1] ^= 0x5A;
        Assert.Equal((short)ErrorCode.CorruptMessage, (await RawRequests.ProduceAsync(client, "hostile", 0, corrupt)).ErrorCode);

        // A lying batch length (longer than the bytes sent).
        var lying = RawRequests.Batch(3);
        BinaryPrimitives.WriteInt32BigEndian(lying.AsSpan(8), lying.Length + 1000);
        Assert.Equal((short)ErrorCode.CorruptMessage, (await RawRequests.ProduceAsync(client, "hostile", 0, lying)).ErrorCode);

        // A batch above the topic's max.message.bytes.
        var big = RawRequests.Batch(1, valueSize: 8192);
        Assert.Equal((short)ErrorCode.MessageTooLarge, (await RawRequests.ProduceAsync(client, "hostile", 0, big)).ErrorCode);

        // Unknown topic and unknown partition.
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await RawRequests.ProduceAsync(client, "no-such-topic", 0, RawRequests.Batch(1))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await RawRequests.ProduceAsync(client, "hostile", 99, RawRequests.Batch(1))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await RawRequests.FetchAsync(client, "no-such-topic", 0, 0)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await RawRequests.FetchAsync(client, "hostile", 99, 0)).ErrorCode);

        // Invalid topic names: CreateTopics and Metadata with auto-creation.
        Assert.Equal((short)ErrorCode.InvalidTopicException, (await RawRequests.CreateTopicAsync(client, "bad/name")).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, (await RawRequests.CreateTopicAsync(client, new string('x', 250))).ErrorCode);
        var metadata = await client.SendAsync<MetadataResponse>(ApiKey.Metadata, 9, new MetadataRequest
        {
            Topics = [new MetadataRequest.MetadataRequestTopic { Name = "bad topic!" }],
            AllowAutoTopicCreation = true,
        });
        Assert.Equal((short)ErrorCode.InvalidTopicException, metadata.Topics.Single().ErrorCode);

        // Fetch past the end, and before the start.
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, (await RawRequests.FetchAsync(client, "hostile", 0, 1000)).ErrorCode);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, (await RawRequests.FetchAsync(client, "hostile", 0, -5)).ErrorCode);

        // None of that touched the good data: the three records are still there, at offset 0.
        var fetched = await RawRequests.FetchAsync(client, "hostile", 0, 0);
        Assert.Equal((short)ErrorCode.None, fetched.ErrorCode);
        Assert.Equal(3, fetched.HighWatermark);
        var next = await RawRequests.ProduceAsync(client, "hostile", 0, RawRequests.Batch(2));
        Assert.Equal((short)ErrorCode.None, next.ErrorCode);
        Assert.Equal(3, next.BaseOffset);
    }

    [Fact(Timeout = 120_000)]
    public async Task Batch_larger_than_a_segment_gets_record_list_too_large()
    {
        await using var broker = await BrokerProcess.StartAsync();
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);
        Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(client, "tiny-segments", 1,
            new Dictionary<string, string> { ["segment.bytes"] = "1024" })).ErrorCode);
        Assert.Equal((short)ErrorCode.RecordListTooLarge,
            (await RawRequests.ProduceAsync(client, "tiny-segments", 0, RawRequests.Batch(1, valueSize: 4000))).ErrorCode);
        Assert.Equal((short)ErrorCode.None, (await RawRequests.ProduceAsync(client, "tiny-segments", 0, RawRequests.Batch(1, valueSize: 100))).ErrorCode);
    }

    [Fact(Timeout = 180_000)]
    public async Task Garbage_from_many_connections_leaves_memory_bounded_and_a_normal_client_working()
    {
        await using var broker = await BrokerProcess.StartAsync();
        using var good = await RawKafkaClient.ConnectAsync(broker.Port);
        Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(good, "steady")).ErrorCode);
        Assert.Equal((short)ErrorCode.None, (await RawRequests.ProduceAsync(good, "steady", 0, RawRequests.Batch(10))).ErrorCode);
        var baseline = broker.ResidentBytes();

        using var stop = new CancellationTokenSource();
        long produced = 10;
        var normal = Task.Run(async () =>
        {
            // The normal client: produce and read back its own records all through the flood.
            while (!stop.IsCancellationRequested)
            {
                var r = await RawRequests.ProduceAsync(good, "steady", 0, RawRequests.Batch(5));
                Assert.Equal((short)ErrorCode.None, r.ErrorCode);
                Assert.Equal(produced, r.BaseOffset);
                produced += 5;
                var f = await RawRequests.FetchAsync(good, "steady", 0, produced - 5);
                Assert.Equal((short)ErrorCode.None, f.ErrorCode);
                Assert.Equal(produced, f.HighWatermark);
            }
        });

        long peak = 0;
        var random = new Random(42);
        for (var round = 0; round < 4; round++)
        {
            var attacks = Enumerable.Range(0, 64).Select(i => Attack(broker.Port, (round * 64) + i, random.Next())).ToArray();
            await Task.WhenAll(attacks);
            peak = Math.Max(peak, broker.ResidentBytes());
            Assert.False(broker.HasExited, broker.Output);
            Assert.False(normal.IsCompleted && normal.IsFaulted, normal.Exception?.ToString());
        }
        await stop.CancelAsync();
        await normal;
        Assert.True(produced > 10, "the normal client made no progress");

        // Bounded: a 2 GiB declared frame must not be allocated, nor garbage accumulate.
        output.WriteLine($"broker RSS: {baseline >> 20} MiB before the flood, peak {peak >> 20} MiB; the normal client produced {produced} records meanwhile");
        Assert.True(peak < baseline + (256L << 20), $"RSS grew from {baseline >> 20} MiB to {peak >> 20} MiB");

        // And a real client still works.
        var kcat = new Kcat(broker.BootstrapServers, TimeSpan.FromSeconds(60));
        await kcat.ProduceAsync("steady", 3, start: 0, partition: 0, codec: "lz4", prefix: "after-");
        var tail = await kcat.ConsumeAsync("steady", 0, produced, 3);
        Assert.Equal(["after-key-0", "after-key-1", "after-key-2"], tail.Select(r => r.Key));
    }

    /// <summary>One hostile connection: which kind depends on <paramref name="kind"/>.</summary>
    private static async Task Attack(int port, int kind, int seed)
    {
        var random = new Random(seed);
        using var client = await RawKafkaClient.ConnectAsync(port);
        byte[] bytes;
        switch (kind % 5)
        {
            case 0: // random bytes
                bytes = new byte[random.Next(1, 64 * 1024)];
                random.NextBytes(bytes);
                break;
            case 1: // a huge declared size
                bytes = new byte[8];
                BinaryPrimitives.WriteInt32BigEndian(bytes, int.MaxValue - random.Next(1000));
                break;
            case 2: // a negative size
                bytes = new byte[8];
                BinaryPrimitives.WriteInt32BigEndian(bytes, -random.Next(1, 1000));
                break;
            case 3: // a truncated frame: declares more than it sends, then hangs up
                bytes = new byte[4 + 100];
                BinaryPrimitives.WriteInt32BigEndian(bytes, 50_000);
                random.NextBytes(bytes.AsSpan(4));
                break;
            default: // a well-framed request with a garbage body for a real API
                bytes = new byte[4 + 200];
                BinaryPrimitives.WriteInt32BigEndian(bytes, 200);
                random.NextBytes(bytes.AsSpan(4));
                BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(4), (short)random.Next(0, 4)); // Produce, Fetch, ListOffsets, Metadata
                BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(6), (short)random.Next(0, 12));
                BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(12), (short)random.Next(-1, 50));
                break;
        }
        try
        {
            await client.SendRawAsync(bytes);
            // The broker answers with an error or closes; either way the connection must not linger forever
            // for the frame kinds it can judge (a truncated frame may legitimately wait for more bytes).
            if (kind % 5 is 1 or 2)
            {
                Assert.True(await client.WaitClosedAsync(TimeSpan.FromSeconds(30)), "a frame with an impossible size did not close the connection");
            }
            else
            {
                await client.WaitClosedAsync(TimeSpan.FromMilliseconds(200));
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            // reset by the broker: fine
        }
    }
}
