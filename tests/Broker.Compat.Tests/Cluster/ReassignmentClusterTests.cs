using System.Diagnostics;
using System.Globalization;
using Broker.Compat.Tests.Harness;
using Broker.Protocol.Messages;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// Rebalancing on a real three-process cluster (deploy/cluster.sh, Raft metadata quorum, real sockets):
/// while an idempotent acks=all confluent-kafka producer streams into it, kafkajs' admin moves a partition
/// from brokers [1,2] to [2,3] (AlterPartitionReassignments, sent to the controller broker of its metadata
/// and forwarded to the active controller). The move completes, node 1's replica is deleted from its disk,
/// and every acknowledged record is read back, in order and once, from the new replicas. Then the preferred
/// leader is killed and restarted: leadership stays on the other replica until ElectLeaders (preferred)
/// gives it back.
/// </summary>
public sealed class ReassignmentClusterTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Fact(Timeout = 420_000)]
    public async Task A_partition_moves_from_brokers_1_2_to_2_3_under_produce_and_ElectLeaders_restores_the_preferred_leader()
    {
        await using var cluster = await LocalCluster.StartAsync(3, new Dictionary<string, string>
        {
            // Killed nodes are fenced at once by the liveness probe; a live node under CI load must not be
            // fenced by a short session (a fenced node 3 hands leadership to node 2 before ElectLeaders runs).
            ["broker.session.timeout.ms"] = "15000",
            ["replica.lag.time.max.ms"] = "5000",
        });
        await WaitAsync(async () => (await MetadataAsync(cluster, 1, null)).Brokers.Count == 3, "three brokers registered", cluster);
        using (var admin = await RawKafkaClient.ConnectAsync(cluster.KafkaPort(1)))
        {
            var created = await admin.SendAsync<CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest
            {
                timeoutMs = 30_000,
                Topics = [new CreateTopicsRequest.CreatableTopic
                {
                    Name = "moving", NumPartitions = -1, ReplicationFactor = -1,
                    Assignments = [new CreateTopicsRequest.CreatableReplicaAssignment { PartitionIndex = 0, BrokerIds = [1, 2] }],
                }],
            }, Long);
            Assert.Equal(0, Assert.Single(created.Topics).ErrorCode);
        }
        await WaitAsync(async () => await PartitionAsync(cluster, 3) is { LeaderId: 1 }, "node 1 leads moving-0", cluster);

        await using var producer = StreamingProducer.Start(cluster, "moving", 1, ratePerSecond: 300);
        await producer.WaitForMoreAcksAsync(300, Long, () => cluster.Logs());

        var reassign = await ClientRunner.NodeAsync("kafkajs_client.js",
            ["--bootstrap", Bootstrap(cluster), "--timeout-ms", "60000", "reassign", "--topic", "moving", "--partition", "0", "--replicas", "2,3"], Long);
        reassign.EnsureSuccess();
        var watch = Stopwatch.StartNew();
        await WaitAsync(async () => await PartitionAsync(cluster, 3) is { } p && p.ReplicaNodes.SequenceEqual([2, 3]) && p.IsrNodes.Order().SequenceEqual([2, 3]),
            "the move completes", cluster);
        var moveTime = watch.Elapsed;
        var moved = (await PartitionAsync(cluster, 3))!;
        Assert.Equal(2, moved.LeaderId); // node 1 led and was removed: the first target replica in the ISR leads
        var listed = await ClientRunner.NodeAsync("kafkajs_client.js", ["--bootstrap", Bootstrap(cluster), "list-reassignments"], Long);
        Assert.Empty(listed.EnsureSuccess().JsonLines());
        // The removed replica is stopped and its log deleted on node 1.
        await WaitAsync(() => Task.FromResult(!Directory.Exists(Path.Combine(cluster.NodeDir(1), "data", "moving-0"))), "node 1 deletes moving-0", cluster);

        // Records keep being acknowledged by the new replicas; every acknowledged one is there.
        await producer.WaitForMoreAcksAsync(300, Long, () => cluster.Logs());
        var summary = await producer.StopAsync();
        Assert.Equal(0, summary.GetProperty("failed").GetInt32());
        var verify = await ClientRunner.PythonAsync("cluster_verify.py", [cluster.BootstrapServers, "moving", "1", producer.AckedFile], TimeSpan.FromSeconds(180));
        Assert.True(verify.Succeeded, $"{verify}\nmove took {moveTime.TotalSeconds:0.0} s\n{cluster.Logs()}");

        // The preferred leader (node 2) dies: node 3 takes over and keeps it after node 2 is back in sync.
        await cluster.KillAsync(2);
        await WaitAsync(async () => await PartitionAsync(cluster, 3) is { LeaderId: 3 }, "node 3 leads after node 2 is killed", cluster);
        await cluster.RestartAsync(2);
        await WaitAsync(async () => await PartitionAsync(cluster, 3) is { } p && p.IsrNodes.Contains(2), "node 2 rejoins the ISR", cluster);
        Assert.Equal(3, (await PartitionAsync(cluster, 3))!.LeaderId);

        using (var admin = await RawKafkaClient.ConnectAsync(cluster.KafkaPort(3)))
        {
            var elected = await admin.SendAsync<ElectLeadersResponse>(ApiKey.ElectLeaders, 2, new ElectLeadersRequest
            {
                ElectionType = 0,
                TopicPartitions = [new ElectLeadersRequest.TopicPartitionsData { Topic = "moving", Partitions = [0] }],
            }, Long);
            Assert.Equal(0, elected.ErrorCode);
            var result = Assert.Single(Assert.Single(elected.ReplicaElectionResults).PartitionResult);
            Assert.True(result.ErrorCode == 0, $"ElectLeaders: {(ErrorCode)result.ErrorCode} {result.ErrorMessage}");
        }
        await WaitAsync(async () => await PartitionAsync(cluster, 1) is { LeaderId: 2 }, "node 2 leads again", cluster);
    }

    /// <summary>kafkajs_client.js takes one bootstrap broker.</summary>
    private static string Bootstrap(LocalCluster cluster) => "127.0.0.1:" + cluster.KafkaPort(1).ToString(CultureInfo.InvariantCulture);

    private static async Task<MetadataResponse> MetadataAsync(LocalCluster cluster, int node, string? topic)
    {
        using var client = await RawKafkaClient.ConnectAsync(cluster.KafkaPort(node));
        return await client.SendAsync<MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest
        {
            Topics = topic is null ? [] : [new MetadataRequest.MetadataRequestTopic { Name = topic }],
        }, TimeSpan.FromSeconds(30));
    }

    private static async Task<MetadataResponse.MetadataResponsePartition?> PartitionAsync(LocalCluster cluster, int node)
    {
        var metadata = await MetadataAsync(cluster, node, "moving");
        return metadata.Topics.FirstOrDefault(t => t.ErrorCode == 0)?.Partitions.FirstOrDefault(p => p.PartitionIndex == 0);
    }

    /// <summary>Polls until true; a node that does not answer yet counts as not yet.</summary>
    private static async Task WaitAsync(Func<Task<bool>> condition, string what, LocalCluster cluster)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or OperationCanceledException)
            {
                // the node is starting or gone: ask again
            }
            if (watch.Elapsed > Long)
            {
                throw new TimeoutException($"{what}: not within {Long.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s\n{cluster.Logs()}");
            }
            await Task.Delay(200);
        }
    }
}
