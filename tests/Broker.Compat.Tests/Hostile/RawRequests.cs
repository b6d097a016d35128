using System.Text;
using Broker.Compat.Tests.Harness;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Compat.Tests.Hostile;

/// <summary>Requests built from the generated message types, for the hostile-input tests.</summary>
internal static class RawRequests
{
    public const short ProduceVersion = 9;
    public const short FetchVersion = 12;
    public const short CreateTopicsVersion = 5;

    /// <summary>One v2 batch of <paramref name="count"/> records with <paramref name="valueSize"/>-byte values.</summary>
    public static byte[] Batch(int count, int valueSize = 16, long timestamp = 1_700_000_000_000, string keyPrefix = "")
    {
        using var builder = new RecordBatchBuilder();
        var value = new byte[valueSize];
        Array.Fill(value, (byte)'v');
        for (var i = 0; i < count; i++)
        {
            builder.Append(timestamp + i, Encoding.UTF8.GetBytes($"{keyPrefix}key-{i}"), value, new RecordHeaderData("index", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }
        return builder.ToArray();
    }

    public static ProduceRequest Produce(string topic, int partition, byte[] records, short acks = -1) => new()
    {
        Acks = acks,
        TimeoutMs = 30_000,
        TopicData =
        [
            new ProduceRequest.TopicProduceData
            {
                Name = topic,
                PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = records }],
            },
        ],
    };

    public static async Task<ProduceResponse.PartitionProduceResponse> ProduceAsync(RawKafkaClient client, string topic, int partition, byte[] records)
    {
        var response = await client.SendAsync<ProduceResponse>(ApiKey.Produce, ProduceVersion, Produce(topic, partition, records));
        return response.Responses.Single().PartitionResponses.Single();
    }

    /// <summary>Fetches as a client does right after a broker restart: NOT_LEADER_OR_FOLLOWER and
    /// LEADER_NOT_AVAILABLE are retried (the restarted broker re-registers and takes its leaderships back
    /// from the metadata log a moment after it listens) until <paramref name="timeout"/>.</summary>
    public static async Task<FetchResponse.PartitionData> FetchOnceLedAsync(RawKafkaClient client, string topic, int partition, long offset, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var fetched = await FetchAsync(client, topic, partition, offset);
            var retriable = fetched.ErrorCode is (short)ErrorCode.NotLeaderOrFollower or (short)ErrorCode.LeaderNotAvailable;
            if (!retriable || DateTime.UtcNow > deadline)
            {
                return fetched;
            }
            await Task.Delay(100);
        }
    }

    public static async Task<FetchResponse.PartitionData> FetchAsync(RawKafkaClient client, string topic, int partition, long offset)
    {
        var request = new FetchRequest
        {
            MaxWaitMs = 0,
            MinBytes = 0,
            MaxBytes = 1 << 20,
            Topics =
            [
                new FetchRequest.FetchTopic
                {
                    Topic = topic,
                    Partitions = [new FetchRequest.FetchPartition { Partition = partition, FetchOffset = offset, PartitionMaxBytes = 1 << 20 }],
                },
            ],
        };
        var response = await client.SendAsync<FetchResponse>(ApiKey.Fetch, FetchVersion, request);
        return response.Responses.Single().Partitions.Single();
    }

    public static async Task<CreateTopicsResponse.CreatableTopicResult> CreateTopicAsync(
        RawKafkaClient client, string topic, int partitions = 1, IReadOnlyDictionary<string, string>? configs = null)
    {
        var creatable = new CreateTopicsRequest.CreatableTopic { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 };
        foreach (var (k, v) in configs ?? new Dictionary<string, string>())
        {
            creatable.Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = k, Value = v });
        }
        var response = await client.SendAsync<CreateTopicsResponse>(ApiKey.CreateTopics, CreateTopicsVersion,
            new CreateTopicsRequest { Topics = [creatable], timeoutMs = 30_000 });
        return response.Topics.Single();
    }
}
