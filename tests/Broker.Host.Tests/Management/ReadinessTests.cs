using System.Net;
using Broker.Actors.Metadata;
using Broker.Host.Tests.Cluster;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Host.Tests.Management;

/// <summary>
/// A restarted single node re-registers as a new incarnation, which fences the old one and leaves its partitions
/// leaderless until the unfencing heartbeat elects it again; its replicas take the role a moment later. /ready and
/// Metadata wait for that, so a client that asks Metadata first is never sent to a node that is not leading yet.
/// </summary>
public sealed class ReadinessTests
{
    private const int Partitions = 6;

    [Fact]
    public async Task After_a_restart_ready_and_metadata_wait_until_the_node_leads_its_partitions_again()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ready-" + Guid.NewGuid().ToString("N"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var node = await BrokerNode.StartAsync(ManagementServerTests.Settings(dir), NullLoggerFactory.Instance);
            var created = await node.Controller.CreateTopicsAsync([new NewTopic("ready", Partitions, 1, new Dictionary<string, string?>())], validateOnly: false);
            Assert.All(created, r => Assert.Equal(0, (int)r.ErrorCode));
            await node.DisposeAsync();

            node = await BrokerNode.StartAsync(ManagementServerTests.Settings(dir), NullLoggerFactory.Instance);
            await using (node)
            {
                // The first Metadata answer names this node leader only of partitions it already leads.
                using var client = await WireClient.ConnectAsync(node.Port);
                var metadata = await client.SendAsync<MetadataResponse>(new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "ready" }] }, 12);
                var partitions = Assert.Single(metadata.Topics).Partitions;
                Assert.Equal(Partitions, partitions.Count);
                foreach (var p in partitions)
                {
                    Assert.Equal(1, p.LeaderId);
                    var state = node.Replicas.Get("ready", p.PartitionIndex)!.State;
                    Assert.True(state.IsLeader && state.LeaderEpoch >= p.LeaderEpoch, $"p{p.PartitionIndex}: answered leader epoch {p.LeaderEpoch}, replica {state}");
                }

                // /ready: 200 only when every partition the image gives the node is led by its replica.
                await Eventually.TrueAsync(() =>
                {
                    using var ready = http.GetAsync(new Uri($"http://127.0.0.1:{node.ManagementPort}/ready")).GetAwaiter().GetResult();
                    return ready.StatusCode == HttpStatusCode.OK;
                }, "/ready answers 200");
                Assert.All(node.Metadata.Current.Topic("ready")!.Partitions, p => Assert.True(node.Replicas.Get("ready", p.Partition)!.State.IsLeader));

                // And a produce sent where Metadata pointed is accepted at once.
                var produced = await ReplicationClient.ProduceAsync(client, "ready", ReplicationClient.Batch(1, "after-restart"), acks: 1);
                Assert.Equal(0, produced.ErrorCode);
            }
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
