using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Network;

public sealed class OrderingTests
{
    private const short Echo = (short)ApiKey.Metadata;

    private static Task<BrokerServer> StartAsync(IRequestDispatcher dispatcher, int maxInFlight = 100) =>
        BrokerServer.StartAsync(new NetworkSettings { Host = "127.0.0.1", Port = 0, MaxInFlightRequestsPerConnection = maxInFlight }, dispatcher);

    [Fact]
    public async Task A_thousand_pipelined_requests_finishing_in_random_order_are_answered_in_request_order()
    {
        await using var server = await StartAsync(new RandomDelayEchoDispatcher(seed: 3, maxDelayMs: 20), maxInFlight: 1000);
        using var client = await TestClient.ConnectAsync(server.Port);
        const int count = 1000;
        var send = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await client.SendAsync(TestClient.Frame(Echo, 0, i, "pipeline", BitConverter.GetBytes(i * 7)));
            }
        });
        for (var i = 0; i < count; i++)
        {
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(i, response.Value.CorrelationId);
            Assert.Equal(i * 7, BitConverter.ToInt32(response.Value.Payload));
        }
        await send;
        Assert.Equal(count, server.Metrics.Requests(Echo));
    }

    [Fact]
    public async Task Requests_of_one_connection_are_dispatched_in_order()
    {
        var dispatcher = new OrderRecordingDispatcher();
        await using var server = await BrokerServer.StartAsync(
            new NetworkSettings { Host = "127.0.0.1", Port = 0, NumIoThreads = 8 }, dispatcher);
        using var client = await TestClient.ConnectAsync(server.Port);
        var frames = Enumerable.Range(0, 500).SelectMany(i => TestClient.Frame(Echo, 0, i, "o", [])).ToArray();
        await client.SendAsync(frames);
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(i, (await client.ReadResponseAsync())!.Value.CorrelationId);
        }
        Assert.Equal(Enumerable.Range(0, 500), dispatcher.Order);
    }

    [Fact]
    public async Task A_request_without_response_is_skipped_in_the_order()
    {
        // Odd correlation ids stand for acks=0 produce requests: no response at all.
        await using var server = await StartAsync(new NoResponseForOddDispatcher());
        using var client = await TestClient.ConnectAsync(server.Port);
        var frames = Enumerable.Range(0, 10).SelectMany(i => TestClient.Frame(Echo, 0, i, "acks0", [(byte)i])).ToArray();
        await client.SendAsync(frames);
        for (var i = 0; i < 10; i += 2)
        {
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(i, response.Value.CorrelationId);
        }
    }

    [Fact]
    public async Task A_failing_handler_closes_its_connection_only()
    {
        await using var server = await StartAsync(new ThrowOnCorrelationDispatcher(13));
        using var victim = await TestClient.ConnectAsync(server.Port);
        using var other = await TestClient.ConnectAsync(server.Port);
        await victim.SendAsync(TestClient.Frame(Echo, 0, 12, "v", [1]));
        await victim.SendAsync(TestClient.Frame(Echo, 0, 13, "v", [2]));
        // The response before the failure still goes out, then the connection closes.
        Assert.Equal(12, (await victim.ReadResponseAsync())!.Value.CorrelationId);
        Assert.Null(await victim.ReadResponseAsync());

        await other.SendAsync(TestClient.Frame(Echo, 0, 1, "o", [3]));
        Assert.Equal(1, (await other.ReadResponseAsync())!.Value.CorrelationId);
    }

    private sealed class OrderRecordingDispatcher : IRequestDispatcher
    {
        private readonly List<int> _order = [];

        public IReadOnlyList<int> Order
        {
            get
            {
                lock (_order)
                {
                    return [.. _order];
                }
            }
        }

        public async ValueTask HandleAsync(RequestContext request)
        {
            await Task.Yield(); // give other I/O loops every chance to overtake
            lock (_order)
            {
                _order.Add(request.CorrelationId);
            }
            request.Respond(new RawResponseBody(ReadOnlyMemory<byte>.Empty));
        }
    }

    private sealed class NoResponseForOddDispatcher : IRequestDispatcher
    {
        public ValueTask HandleAsync(RequestContext request)
        {
            if (request.CorrelationId % 2 == 1)
            {
                request.RespondNothing();
            }
            else
            {
                request.Respond(new RawResponseBody(request.Body));
            }
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ThrowOnCorrelationDispatcher(int failOn) : IRequestDispatcher
    {
        public ValueTask HandleAsync(RequestContext request)
        {
            if (request.CorrelationId == failOn)
            {
                throw new InvalidOperationException("handler bug");
            }
            request.Respond(new RawResponseBody(request.Body));
            return ValueTask.CompletedTask;
        }
    }
}
