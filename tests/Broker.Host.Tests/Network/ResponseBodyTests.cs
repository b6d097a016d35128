using Broker.Host.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Tests.Network;

public sealed class ResponseBodyTests
{
    private const short Echo = (short)ApiKey.Metadata;

    /// <summary>Like a fetch response holding pooled read buffers.</summary>
    private sealed class DisposableBody(byte value) : IResponseBody, IDisposable
    {
        private int _disposed;

        public bool Disposed => Volatile.Read(ref _disposed) == 1;

        public int Size(short apiVersion) => 1;

        public void Write(ref KafkaWriter writer, short apiVersion)
        {
            Assert.False(Disposed, "disposed before it was written");
            writer.WriteInt8((sbyte)value);
        }

        public void Dispose() => Assert.Equal(0, Interlocked.Exchange(ref _disposed, 1));
    }

    private sealed class ParkingDispatcher : IRequestDispatcher
    {
        public TaskCompletionSource<RequestContext> Parked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask HandleAsync(RequestContext request)
        {
            Parked.TrySetResult(request);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task A_disposable_body_is_disposed_once_written()
    {
        var dispatcher = new ParkingDispatcher();
        await using var server = await BrokerServer.StartAsync(new NetworkSettings { Host = "127.0.0.1", Port = 0 }, dispatcher);
        using var client = await TestClient.ConnectAsync(server.Port);
        await client.SendAsync(TestClient.Frame(Echo, 0, 1, "d", []));
        var request = await dispatcher.Parked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var body = new DisposableBody(42);
        request.Respond(body);

        var response = await client.ReadResponseAsync();
        Assert.Equal([42], response!.Value.Payload);
        Assert.True(await Eventually.TrueAsync(() => body.Disposed));
    }

    [Fact]
    public async Task A_response_for_a_closed_connection_is_disposed_unwritten()
    {
        var dispatcher = new ParkingDispatcher();
        await using var server = await BrokerServer.StartAsync(new NetworkSettings { Host = "127.0.0.1", Port = 0 }, dispatcher);
        var client = await TestClient.ConnectAsync(server.Port);
        await client.SendAsync(TestClient.Frame(Echo, 0, 1, "d", []));
        var request = await dispatcher.Parked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        client.Dispose();
        Assert.True(await Eventually.TrueAsync(() => request.ConnectionClosed.IsCancellationRequested));

        var body = new DisposableBody(1);
        request.Respond(body);
        Assert.True(body.Disposed);
        Assert.Equal(0, server.Metrics.ResponsesSent);
    }

    [Fact]
    public async Task A_generated_message_is_written_at_the_request_version_with_a_flexible_header()
    {
        var dispatcher = new ParkingDispatcher();
        await using var server = await BrokerServer.StartAsync(new NetworkSettings { Host = "127.0.0.1", Port = 0 }, dispatcher);
        using var client = await TestClient.ConnectAsync(server.Port);
        // Metadata v12 is flexible: request header v2, response header v1 (a tag section after the correlation id).
        await client.SendAsync(TestClient.Frame(ApiKey.Metadata, 12, 77, "gen", [1, 0, 0, 0], flexible: true));
        var request = await dispatcher.Parked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var message = new MetadataResponse { ThrottleTimeMs = 5, ClusterId = "c1", ControllerId = 1 };
        request.Respond(message);

        var response = await client.ReadResponseAsync();
        Assert.Equal(77, response!.Value.CorrelationId);
        Assert.Equal(0, response.Value.Payload[0]); // empty header tags
        var decoded = KafkaMessageExtensions.Parse<MetadataResponse>(response.Value.Payload.AsMemory(1), 12);
        Assert.Equal(("c1", 5, 1), (decoded.ClusterId, decoded.ThrottleTimeMs, decoded.ControllerId));
    }
}
