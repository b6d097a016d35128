using System.Net;
using System.Net.Sockets;
using Broker.Host.Network.Client;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Network.Client;

public sealed class NodeConnectionTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerFixture _fixture;

    public NodeConnectionTests(BrokerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Pipelined_requests_are_matched_to_their_responses()
    {
        await using var connection = await NodeConnection.ConnectAsync("127.0.0.1", _fixture.Broker.Port);
        await _fixture.Broker.CreateTopicAsync("node-connection-a", partitions: 3);
        await _fixture.Broker.CreateTopicAsync("node-connection-b", partitions: 5);
        // Interleave flexible (header v2 / response header v1) and non-flexible versions.
        var tasks = new List<Task<MetadataResponse>>();
        for (var i = 0; i < 50; i++)
        {
            var topic = i % 2 == 0 ? "node-connection-a" : "node-connection-b";
            var request = new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = topic }], AllowAutoTopicCreation = false };
            tasks.Add(connection.SendAsync<MetadataResponse>(request, (short)(i % 3 == 0 ? 12 : 4)));
        }
        var responses = await Task.WhenAll(tasks);
        for (var i = 0; i < responses.Length; i++)
        {
            var topic = Assert.Single(responses[i].Topics);
            Assert.Equal(i % 2 == 0 ? "node-connection-a" : "node-connection-b", topic.Name);
            Assert.Equal(i % 2 == 0 ? 3 : 5, topic.Partitions.Count);
        }
        var versions = await connection.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest { ClientSoftwareName = "test", ClientSoftwareVersion = "1" }, 3);
        Assert.Equal(0, versions.ErrorCode);
        Assert.Contains(versions.ApiKeys, k => k.ApiKey == (short)ApiKey.Fetch);
    }

    [Fact]
    public async Task A_closed_peer_fails_outstanding_requests_and_the_pool_reconnects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var pool = new NodeConnectionPool("test");
        var accept = listener.AcceptSocketAsync();
        var connection = await pool.GetAsync("127.0.0.1", port);
        using (var peer = await accept)
        {
            var pending = connection.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0);
            var buffer = new byte[64];
            Assert.True(await peer.ReceiveAsync(buffer) > 0); // the request arrived; now hang up
            peer.Close();
            await Assert.ThrowsAsync<NodeConnectionException>(() => pending);
        }
        Assert.False(connection.IsOpen);
        await Assert.ThrowsAsync<NodeConnectionException>(() => connection.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0));

        // The pool opens a fresh connection, here to the real broker.
        var broker = await pool.GetAsync("127.0.0.1", _fixture.Broker.Port);
        var answer = await broker.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0);
        Assert.Equal(0, answer.ErrorCode);
        Assert.Same(broker, await pool.GetAsync("127.0.0.1", _fixture.Broker.Port));
    }

    [Fact]
    public async Task An_oversized_response_length_breaks_the_connection_without_allocating_it()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptSocketAsync();
        await using var connection = await NodeConnection.ConnectAsync("127.0.0.1", port, maxResponseBytes: 1024);
        using var peer = await accept;
        var pending = connection.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0);
        await peer.SendAsync(new byte[] { 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1 });
        var error = await Assert.ThrowsAsync<NodeConnectionException>(() => pending);
        Assert.Contains("out of range", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_with_no_answer_times_out()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptSocketAsync();
        await using var connection = await NodeConnection.ConnectAsync("127.0.0.1", port);
        using var peer = await accept;
        await Assert.ThrowsAsync<NodeConnectionException>(() =>
            connection.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_fails_with_a_connection_error()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await Assert.ThrowsAsync<NodeConnectionException>(() => NodeConnection.ConnectAsync("127.0.0.1", port));
    }
}
