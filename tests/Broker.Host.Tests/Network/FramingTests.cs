using System.Buffers.Binary;
using Broker.Host.Network;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Tests.Network;

public sealed class FramingTests
{
    private const short Echo = (short)ApiKey.Metadata; // v0: header v1, response header v0

    private static Task<BrokerServer> StartAsync(IRequestDispatcher dispatcher, ListLoggerProvider? logs = null, int maxBytes = 100 * 1024 * 1024) =>
        BrokerServer.StartAsync(
            new NetworkSettings { Host = "127.0.0.1", Port = 0, SocketRequestMaxBytes = maxBytes },
            dispatcher,
            configureLogging: logs is null ? null : b => b.AddProvider(logs));

    [Fact]
    public async Task Frames_split_across_many_small_writes_are_reassembled()
    {
        await using var server = await StartAsync(new EchoDispatcher());
        using var client = await TestClient.ConnectAsync(server.Port);
        var random = new Random(1);
        var frames = Enumerable.Range(0, 20).Select(i =>
        {
            var body = new byte[random.Next(0, 300)];
            random.NextBytes(body);
            return (Id: i, Body: body, Frame: TestClient.Frame(Echo, 0, i, "split", body));
        }).ToList();
        var stream = frames.SelectMany(f => f.Frame).ToArray();

        // 1..7 byte writes with pauses, so the server sees sizes and headers cut at every position.
        for (var at = 0; at < stream.Length;)
        {
            var n = Math.Min(random.Next(1, 8), stream.Length - at);
            await client.SendAsync(stream.AsMemory(at, n));
            at += n;
            if (random.Next(4) == 0)
            {
                await Task.Delay(1);
            }
        }

        foreach (var f in frames)
        {
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(f.Id, response.Value.CorrelationId);
            Assert.Equal(f.Body, response.Value.Payload);
        }
    }

    [Fact]
    public async Task A_frame_larger_than_the_transport_buffer_arrives_whole()
    {
        await using var server = await StartAsync(new EchoDispatcher());
        using var client = await TestClient.ConnectAsync(server.Port);
        var body = new byte[3 * 1024 * 1024 + 17];
        new Random(2).NextBytes(body);
        var frame = TestClient.Frame(Echo, 0, 5, "big", body);
        for (var at = 0; at < frame.Length; at += 7000)
        {
            await client.SendAsync(frame.AsMemory(at, Math.Min(7000, frame.Length - at)));
        }
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(5, response.Value.CorrelationId);
        Assert.True(body.AsSpan().SequenceEqual(response.Value.Payload));
    }

    [Theory]
    [InlineData(1024 * 1024 + 1)]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    [InlineData(3)]
    public async Task A_bad_frame_size_closes_that_connection_only(int size)
    {
        var logs = new ListLoggerProvider();
        await using var server = await StartAsync(new EchoDispatcher(), logs, maxBytes: 1024 * 1024);
        using var good = await TestClient.ConnectAsync(server.Port);
        using var bad = await TestClient.ConnectAsync(server.Port);

        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, size);
        await bad.SendAsync(header);
        Assert.True(await bad.WaitClosedAsync(TimeSpan.FromSeconds(30)), "the broker kept a connection with a bad frame size");
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("frame size", StringComparison.Ordinal));

        await good.SendAsync(TestClient.Frame(Echo, 0, 1, "good", [1, 2, 3]));
        var response = await good.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal([1, 2, 3], response.Value.Payload);
        Assert.Equal(1, server.Metrics.ConnectionsClosedForErrors);
    }

    [Fact]
    public async Task The_largest_allowed_frame_is_accepted()
    {
        await using var server = await StartAsync(new EchoDispatcher(), maxBytes: 64 * 1024);
        using var client = await TestClient.ConnectAsync(server.Port);
        var body = new byte[(64 * 1024) - 11]; // header: key, version, correlation id, "x"
        var frame = TestClient.Frame(Echo, 0, 3, "x", body);
        Assert.Equal(64 * 1024, BinaryPrimitives.ReadInt32BigEndian(frame));
        await client.SendAsync(frame);
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(body.Length, response.Value.Payload.Length);
    }

    [Theory]
    [InlineData((short)999, (short)0)] // unknown api key
    [InlineData((short)-5, (short)0)] // negative api key
    [InlineData(Echo, (short)13)] // Metadata above the supported range
    [InlineData((short)ApiKey.ControlledShutdown, (short)0)] // a Kafka api this broker does not serve
    public async Task An_unsupported_api_or_version_closes_the_connection(short apiKey, short version)
    {
        var logs = new ListLoggerProvider();
        await using var server = await StartAsync(new EchoDispatcher(), logs);
        using var client = await TestClient.ConnectAsync(server.Port);
        await client.SendAsync(TestClient.Frame(apiKey, version, 1, "c", [0, 0]));
        Assert.True(await client.WaitClosedAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("unsupported api", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_malformed_header_closes_the_connection()
    {
        var logs = new ListLoggerProvider();
        await using var server = await StartAsync(new EchoDispatcher(), logs);
        using var client = await TestClient.ConnectAsync(server.Port);
        // Metadata v0, correlation id 1, client id claiming 500 bytes in a 12-byte frame.
        byte[] frame = [0, 0, 0, 12, 0, 3, 0, 0, 0, 0, 0, 1, 1, 0xF4, 0, 0];
        await client.SendAsync(frame);
        Assert.True(await client.WaitClosedAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(logs.Entries, e => e.Message.Contains("malformed request header", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Many_connections_sending_garbage_at_once_do_not_disturb_a_good_client()
    {
        await using var server = await StartAsync(new EchoDispatcher());
        using var good = await TestClient.ConnectAsync(server.Port);

        var garbage = Enumerable.Range(0, 64).Select(async i =>
        {
            using var c = await TestClient.ConnectAsync(server.Port);
            var random = new Random(100 + i);
            var bytes = new byte[random.Next(8, 20_000)];
            random.NextBytes(bytes);
            if (i % 4 == 0)
            {
                // A plausible size and api key, then nonsense: gets past framing into header checks.
                BinaryPrimitives.WriteInt32BigEndian(bytes, Math.Max(8, bytes.Length - 4));
            }
            try
            {
                await c.SendAsync(bytes);
                // Leave the write side: a frame still waiting for its tail ends on EOF.
                c.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            }
            catch (System.Net.Sockets.SocketException)
            {
                // The broker may close first: that is the point.
            }
            return await c.WaitClosedAsync(TimeSpan.FromSeconds(30));
        }).ToList();

        for (var i = 0; i < 50; i++)
        {
            await good.SendAsync(TestClient.Frame(Echo, 0, i, "good", [(byte)i]));
            var response = await good.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(i, response.Value.CorrelationId);
        }
        Assert.All(await Task.WhenAll(garbage), Assert.True);
        Assert.True(await Eventually.TrueAsync(() => server.Metrics.ConnectionsOpen == 1), $"open: {server.Metrics.ConnectionsOpen}");
    }
}
