using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Network;

public sealed class BackpressureTests
{
    private const short Echo = (short)ApiKey.Metadata;

    [Fact]
    public async Task A_full_request_queue_stops_the_readers_and_everything_is_answered_once_it_drains()
    {
        const int connections = 10;
        const int perConnection = 300;
        var dispatcher = new GatedDispatcher(blockIoLoop: true);
        await using var server = await BrokerServer.StartAsync(
            new NetworkSettings { Host = "127.0.0.1", Port = 0, NumIoThreads = 2, QueuedMaxRequests = 4 }, dispatcher);
        var body = new byte[4096];
        var frameSize = TestClient.Frame(Echo, 0, 0, "flood", body).Length;

        var clients = new List<TestClient>();
        for (var c = 0; c < connections; c++)
        {
            clients.Add(await TestClient.ConnectAsync(server.Port));
        }
        var senders = clients.Select(client => Task.Run(async () =>
        {
            for (var i = 0; i < perConnection; i++)
            {
                await client.SendAsync(TestClient.Frame(Echo, 0, i, "flood", body));
            }
        })).ToList();

        // Both I/O loops stuck in the handler and the queue full...
        Assert.True(await Eventually.TrueAsync(() => dispatcher.Seen == 2 && server.Metrics.RequestQueueDepth == 4));
        // ...then, however long the flood goes on, each connection has read at most the one frame it
        // is waiting to queue: the rest stays in the socket (the transport pipe reads 1 MiB at most).
        await Task.Delay(500);
        Assert.InRange(server.Metrics.TotalRequests, 6, connections);
        Assert.InRange(server.Metrics.BytesIn, 6L * frameSize, (long)connections * frameSize);

        dispatcher.Open();
        await Task.WhenAll(clients.Select(async client =>
        {
            for (var i = 0; i < perConnection; i++)
            {
                var response = await client.ReadResponseAsync();
                Assert.NotNull(response);
                Assert.Equal(i, response.Value.CorrelationId);
            }
        }));
        await Task.WhenAll(senders);
        Assert.Equal(connections * perConnection, server.Metrics.ResponsesSent);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task A_pipelining_client_stops_being_read_at_the_in_flight_limit()
    {
        const int inFlight = 16;
        const int count = 1000;
        var dispatcher = new GatedDispatcher(blockIoLoop: false);
        await using var server = await BrokerServer.StartAsync(
            new NetworkSettings { Host = "127.0.0.1", Port = 0, MaxInFlightRequestsPerConnection = inFlight }, dispatcher);
        using var client = await TestClient.ConnectAsync(server.Port);
        var send = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await client.SendAsync(TestClient.Frame(Echo, 0, i, "parked", [(byte)i]));
            }
        });

        Assert.True(await Eventually.TrueAsync(() => dispatcher.Parked == inFlight));
        await Task.Delay(300);
        // The handler released its I/O loop for each request (they wait like purgatory operations),
        // yet the reader stopped: the 17th frame waits for a permit.
        Assert.Equal(inFlight, dispatcher.Parked);
        Assert.InRange(server.Metrics.TotalRequests, inFlight, inFlight + 1);

        dispatcher.Open();
        for (var i = 0; i < count; i++)
        {
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(i, response.Value.CorrelationId);
        }
        await send;
    }
}
