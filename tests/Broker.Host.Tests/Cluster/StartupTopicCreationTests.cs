using System.Net;
using System.Net.Sockets;
using Broker.Host.Configuration;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// A node's listener opens before the node is registered and unfenced at the controller; until some broker is
/// unfenced the controller has nowhere to place replicas. CreateTopics sent in that window (a client that connects
/// as soon as the port accepts, as the compat harness does) must wait for the node rather than answer
/// INVALID_REPLICATION_FACTOR, which Kafka's clients take as final.
/// </summary>
public sealed class StartupTopicCreationTests
{
    private static async Task<CreateTopicsResponse.CreatableTopicResult> CreateAsync(WireClient client, string topic, int timeoutMs = 30_000)
    {
        var response = await client.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest
        {
            Topics = [new CreateTopicsRequest.CreatableTopic { Name = topic, NumPartitions = 2, ReplicationFactor = 1 }],
            timeoutMs = timeoutMs,
        }, 7);
        return Assert.Single(response.Topics);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Connects as soon as the port accepts (the node is still starting), retrying refusals.</summary>
    private static async Task<WireClient> ConnectWhileStartingAsync(int port, Task<BrokerNode> starting)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await WireClient.ConnectAsync(port);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !starting.IsFaulted)
            {
                await Task.Delay(1);
            }
        }
    }

    [Fact]
    public async Task A_single_node_creates_topics_sent_the_moment_its_listener_opens_fresh_and_restarted()
    {
        // Fresh: the registration commits a fenced broker, the first heartbeat unfences it. Restarted: the new
        // incarnation's registration also fences the old one. Both windows are short, so try several starts.
        const int Starts = 8;
        for (var i = 0; i < Starts; i++)
        {
            var dir = Directory.CreateTempSubdirectory("akkabroker-startup-").FullName;
            try
            {
                var port = FreePort();
                var settings = BrokerSettings.FromValues(new Dictionary<string, string?>
                {
                    ["node.id"] = "1",
                    ["process.roles"] = "broker,controller",
                    ["controller.quorum.voters"] = "1@127.0.0.1:9093",
                    ["log.dirs"] = Path.Combine(dir, "logs"),
                    ["listeners"] = $"PLAINTEXT://127.0.0.1:{port}",
                    ["offsets.topic.replication.factor"] = "1",
                });
                for (var incarnation = 0; incarnation < 2; incarnation++)
                {
                    var starting = BrokerNode.StartAsync(settings, NullLoggerFactory.Instance);
                    BrokerNode? node = null;
                    try
                    {
                        using (var client = await ConnectWhileStartingAsync(port, starting))
                        {
                            var result = await CreateAsync(client, $"startup-{incarnation}");
                            Assert.True(result.ErrorCode == 0,
                                $"start {i}, incarnation {incarnation}: {(ErrorCode)result.ErrorCode} {result.ErrorMessage}");
                        }
                        node = await starting;
                        Assert.Equal(2, node.Metadata.Current.Topic($"startup-{incarnation}")!.Partitions.Length);
                    }
                    finally
                    {
                        node ??= await starting;
                        await node.DisposeAsync();
                    }
                }
            }
            finally
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }
        }
    }

    [Fact]
    public async Task CreateTopics_waits_within_its_timeout_while_no_broker_is_unfenced()
    {
        // One node, a short session: holding its heartbeats fences it, leaving the controller no usable broker.
        await using var cluster = await InProcessCluster.StartAsync(1, new Dictionary<string, string?> { ["broker.session.timeout.ms"] = "2000" });
        var node = cluster.Node(1);
        node.Lifecycle!.HoldHeartbeats = true;
        await Eventually.TrueAsync(() => node.MetadataPublisher.Current.Brokers[1].Fenced, "node 1 fenced", TimeSpan.FromSeconds(60));

        using var client = await cluster.ConnectAsync(1);
        // A timeout of 0 asks not to wait: the controller's answer as it stands.
        var immediate = await CreateAsync(client, "no-wait", timeoutMs: 0);
        Assert.Equal((short)ErrorCode.InvalidReplicationFactor, immediate.ErrorCode);

        var creating = CreateAsync(client, "waits");
        await Task.Delay(TimeSpan.FromSeconds(1));
        if (creating.IsCompleted)
        {
            var early = await creating;
            Assert.Fail($"answered while no broker was unfenced: {(ErrorCode)early.ErrorCode} {early.ErrorMessage}");
        }
        node.Lifecycle.HoldHeartbeats = false;
        var result = await creating.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.ErrorCode == 0, $"{(ErrorCode)result.ErrorCode} {result.ErrorMessage}");
        await cluster.WaitForTopicAsync("waits");
    }
}
