using Broker.Actors.Storage;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using static Broker.Host.Tests.Cluster.ReplicationClient;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// Stray logs (Kafka's KAFKA-14616 cases) on three in-process nodes: while node 3 is down, a topic it hosts is
/// deleted, another is deleted and recreated under the same name, and a third is moved off it. When node 3
/// comes back and its metadata has caught up, it deletes the logs no replica here owns, and the recreated topic's
/// replica starts from an empty log (told apart by the topic id in <c>partition.metadata</c>) instead of serving
/// the deleted topic's records.
/// </summary>
public sealed class StrayLogTests
{
    private static readonly Dictionary<string, string?> Sessions = new() { ["broker.session.timeout.ms"] = "10000" };

    [Fact(Timeout = 180_000)]
    public async Task A_node_that_was_down_deletes_stray_logs_and_does_not_serve_a_deleted_topics_records()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Sessions);
        using var admin = await cluster.ConnectAsync(1);
        foreach (var topic in new[] { "gone", "reborn", "moved" })
        {
            await CreateTopicAsync(admin, topic, [1, 2, 3]);
        }
        foreach (var topic in new[] { "gone", "reborn", "moved" })
        {
            await cluster.WaitForTopicAsync(topic);
            Assert.Equal(0, (await ProduceAsync(admin, topic, Batch(10, "old-" + topic), acks: -1)).ErrorCode);
        }
        var oldRebornId = cluster.Image.Topic("reborn")!.Id;
        await Eventually.TrueAsync(() => new[] { "gone", "reborn", "moved" }.All(t => cluster.Node(3).Replicas.Get(t, 0)?.Log?.LogEndOffset == 10),
            "node 3 has every record");
        Assert.Equal(oldRebornId, PartitionMetadataFile.Read(NodeDir(cluster, 3, "reborn")));

        await cluster.CrashNodeAsync(3);
        var deleted = await admin.SendAsync<DeleteTopicsResponse>(new DeleteTopicsRequest { TopicNames = ["gone", "reborn"], TimeoutMs = 30000 }, 5);
        Assert.All(deleted.Responses, r => Assert.Equal(0, r.ErrorCode));
        await cluster.WaitForImageAsync(i => i.Topic("gone") is null && i.Topic("reborn") is null, "both topics deleted");
        await CreateTopicAsync(admin, "reborn", [1, 2, 3]);
        var reassigned = await admin.SendAsync<AlterPartitionReassignmentsResponse>(new AlterPartitionReassignmentsRequest
        {
            Topics = [new AlterPartitionReassignmentsRequest.ReassignableTopic
            {
                Name = "moved",
                Partitions = [new AlterPartitionReassignmentsRequest.ReassignablePartition { PartitionIndex = 0, Replicas = [1, 2] }],
            }],
        }, 0);
        Assert.Equal(0, Assert.Single(Assert.Single(reassigned.Responses).Partitions).ErrorCode);
        await cluster.WaitForImageAsync(i => i.Topic("reborn") is not null && i.Topic("moved")!.Partitions[0].Replicas.SequenceEqual([1, 2]),
            "reborn recreated and moved off node 3");
        var newRebornId = cluster.Image.Topic("reborn")!.Id;
        Assert.NotEqual(oldRebornId, newRebornId);
        await Eventually.TrueAsync(() => cluster.Node(1).Replicas.Get("reborn", 0)?.State.IsLeader == true, "node 1 leads the new reborn");
        Assert.Equal(0, (await ProduceAsync(admin, "reborn", Batch(3, "new"), acks: 1)).ErrorCode);

        await cluster.RestartNodeAsync(3);
        await Eventually.TrueAsync(() => !Directory.Exists(NodeDir(cluster, 3, "gone")) && !Directory.Exists(NodeDir(cluster, 3, "moved"))
            && cluster.Node(3).Logs.GetLog(new TopicPartition("gone", 0)) is null && cluster.Node(3).Logs.GetLog(new TopicPartition("moved", 0)) is null,
            "node 3 deletes the logs of gone-0 and moved-0", TimeSpan.FromSeconds(60));
        // The recreated topic's replica holds the new topic's records only: the same bytes as its leader's.
        await Eventually.TrueAsync(() => cluster.Node(3).Replicas.Get("reborn", 0)?.Log is { LogEndOffset: 3 },
            "node 3 copies the new reborn", TimeSpan.FromSeconds(60));
        Assert.Equal(newRebornId, PartitionMetadataFile.Read(NodeDir(cluster, 3, "reborn")));
        Assert.Equal(LogBytes(cluster.Node(1), "reborn"), LogBytes(cluster.Node(3), "reborn"));
        // The other nodes kept what they host.
        Assert.Equal(10, cluster.Node(1).Replicas.Get("moved", 0)!.Log!.LogEndOffset);
        Assert.True(Directory.Exists(NodeDir(cluster, 1, "moved")));
    }

    private static string NodeDir(InProcessCluster cluster, int node, string topic) =>
        Path.Combine(cluster.Dir, "node-" + node, topic + "-0");
}
