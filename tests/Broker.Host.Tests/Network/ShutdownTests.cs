using System.Net.Sockets;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Network;

public sealed class ShutdownTests
{
    private const short Echo = (short)ApiKey.Metadata;

    [Fact]
    public async Task Stopping_answers_what_was_read_then_closes_and_refuses_new_connections()
    {
        var dispatcher = new GatedDispatcher(blockIoLoop: false);
        var server = await BrokerServer.StartAsync(new NetworkSettings { Host = "127.0.0.1", Port = 0 }, dispatcher);
        var port = server.Port;
        using var busy = await TestClient.ConnectAsync(port);
        using var idle = await TestClient.ConnectAsync(port);
        var frames = Enumerable.Range(0, 10).SelectMany(i => TestClient.Frame(Echo, 0, i, "s", [(byte)i])).ToArray();
        await busy.SendAsync(frames);
        Assert.True(await Eventually.TrueAsync(() => dispatcher.Parked == 10));

        var stop = server.StopAsync();
        // The parked requests finish during the shutdown, like purgatory operations completing.
        await Task.Delay(100);
        Assert.False(stop.IsCompleted, "the broker stopped before answering what it had read");
        dispatcher.Open();

        for (var i = 0; i < 10; i++)
        {
            var response = await busy.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(i, response.Value.CorrelationId);
        }
        Assert.True(await busy.WaitClosedAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await idle.WaitClosedAsync(TimeSpan.FromSeconds(30)));
        await stop.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, server.Metrics.ConnectionsOpen);
        await Assert.ThrowsAnyAsync<SocketException>(() => TestClient.ConnectAsync(port));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Requests_that_never_finish_hold_the_shutdown_only_until_the_timeout()
    {
        var dispatcher = new GatedDispatcher(blockIoLoop: false); // never opened
        var server = await BrokerServer.StartAsync(
            new NetworkSettings { Host = "127.0.0.1", Port = 0, ShutdownTimeout = TimeSpan.FromMilliseconds(300) }, dispatcher);
        using var client = await TestClient.ConnectAsync(server.Port);
        await client.SendAsync(TestClient.Frame(Echo, 0, 1, "stuck", [1]));
        Assert.True(await Eventually.TrueAsync(() => dispatcher.Parked == 1));

        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await client.WaitClosedAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, server.Metrics.ConnectionsOpen);
        await server.DisposeAsync();
    }
}
