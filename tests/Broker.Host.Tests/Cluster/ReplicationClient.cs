using System.Text;
using Broker.Actors.Metadata;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Host.Tests.Cluster;

/// <summary>Produce / fetch / topic helpers over the wire for the replication tests.</summary>
internal static class ReplicationClient
{
    public static async Task CreateTopicAsync(WireClient client, string name, int[] replicas, IReadOnlyDictionary<string, string>? configs = null)
    {
        var topic = new CreateTopicsRequest.CreatableTopic
        {
            Name = name, NumPartitions = -1, ReplicationFactor = -1,
            Assignments = [new CreateTopicsRequest.CreatableReplicaAssignment { PartitionIndex = 0, BrokerIds = [.. replicas] }],
        };
        foreach (var (k, v) in configs ?? new Dictionary<string, string>())
        {
            topic.Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = k, Value = v });
        }
        var created = await client.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest { Topics = [topic], timeoutMs = 30000 }, 7);
        Assert.Equal(0, Assert.Single(created.Topics).ErrorCode);
    }

    public static byte[] Batch(int count, string prefix, long producerId = -1, short producerEpoch = -1, int baseSequence = -1)
    {
        using var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = producerEpoch, BaseSequence = baseSequence };
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            builder.Append(now, Encoding.UTF8.GetBytes("k" + i), Encoding.UTF8.GetBytes(prefix + "-" + i));
        }
        return builder.ToArray();
    }

    public static async Task<ProduceResponse.PartitionProduceResponse> ProduceAsync(WireClient client, string topic, byte[] batch, short acks, int timeoutMs = 60_000)
    {
        var response = await client.SendAsync<ProduceResponse>(new ProduceRequest
        {
            Acks = acks,
            TimeoutMs = timeoutMs,
            TopicData = [new ProduceRequest.TopicProduceData
            {
                Name = topic,
                PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = batch }],
            }],
        }, 9);
        return Assert.Single(Assert.Single(response.Responses).PartitionResponses);
    }

    public static async Task<FetchResponse.PartitionData> FetchAsync(WireClient client, string topic, long offset, int currentLeaderEpoch = -1)
    {
        var response = await client.SendAsync<FetchResponse>(new FetchRequest
        {
            ReplicaId = -1,
            MaxWaitMs = 0,
            MinBytes = 0,
            MaxBytes = 1 << 20,
            SessionEpoch = -1,
            Topics = [new FetchRequest.FetchTopic
            {
                Topic = topic,
                Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = offset, PartitionMaxBytes = 1 << 20, CurrentLeaderEpoch = currentLeaderEpoch }],
            }],
        }, 12);
        return Assert.Single(Assert.Single(response.Responses).Partitions);
    }

    public static PartitionImage Partition(InProcessCluster cluster, string topic) =>
        cluster.Node(1).Metadata.Current.Topic(topic)!.Partitions[0];

    /// <summary>The whole log of a node's replica, as bytes (every batch up to its log end).</summary>
    public static byte[] LogBytes(BrokerNode node, string topic)
    {
        var log = node.Replicas.Get(topic, 0)!.Log!;
        using var read = log.Read(log.LogStartOffset, int.MaxValue / 2, log.LogEndOffset);
        return read.Records.ToArray();
    }
}
