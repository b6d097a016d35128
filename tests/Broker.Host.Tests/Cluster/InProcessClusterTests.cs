using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Cluster;

public sealed class InProcessClusterTests
{
    [Fact]
    public async Task Three_nodes_register_and_a_topic_is_spread_across_them()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        using var client = await cluster.ConnectAsync(2);
        var created = await client.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest
        {
            Topics = [new CreateTopicsRequest.CreatableTopic { Name = "spread", NumPartitions = 6, ReplicationFactor = 3 }],
            timeoutMs = 30000,
        }, 7);
        Assert.Equal(0, Assert.Single(created.Topics).ErrorCode);
        await cluster.WaitForTopicAsync("spread");

        var metadata = await client.SendAsync<MetadataResponse>(new MetadataRequest { Topics = null }, 12);
        Assert.Equal([1, 2, 3], metadata.Brokers.Select(b => b.NodeId).Order());
        Assert.All(metadata.Brokers, b => Assert.Equal(cluster.Node(b.NodeId).Port, b.Port));
        var topic = Assert.Single(metadata.Topics, t => t.Name == "spread");
        Assert.All(topic.Partitions, p => Assert.Equal([1, 2, 3], p.ReplicaNodes.Order()));
        // Leaders are spread: every node leads some of the 6 partitions.
        Assert.Equal([1, 2, 3], topic.Partitions.Select(p => p.LeaderId).Distinct().Order());
        // Every node started a local replica of every partition.
        for (var id = 1; id <= 3; id++)
        {
            Assert.Equal(6, cluster.Node(id).Replicas.Partitions.Count(h => h.TopicPartition.Topic == "spread"));
        }
    }
}
