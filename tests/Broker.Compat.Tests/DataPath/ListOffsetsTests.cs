using Broker.Compat.Tests.Harness;
using Broker.Compat.Tests.Hostile;
using Broker.Protocol.Messages;

namespace Broker.Compat.Tests.DataPath;

/// <summary>ListOffsets over raw frames: earliest, latest, max timestamp, by time (exact offsets), and errors.</summary>
public sealed class ListOffsetsTests
{
    private const long T0 = 1_700_000_000_000;

    [Fact(Timeout = 120_000)]
    public async Task Earliest_latest_max_timestamp_and_by_time_give_kafkas_offsets()
    {
        await using var broker = await BrokerProcess.StartAsync();
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);
        Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(client, "times", 1,
            new Dictionary<string, string> { ["segment.bytes"] = "1024" })).ErrorCode);
        // Ten batches of three records, timestamps T0 + 10*b + i: several segments, so lookups cross segment boundaries.
        for (var b = 0; b < 10; b++)
        {
            var r = await RawRequests.ProduceAsync(client, "times", 0, RawRequests.Batch(3, valueSize: 100, timestamp: T0 + (10 * b)));
            Assert.Equal((short)ErrorCode.None, r.ErrorCode);
        }

        Assert.Equal((0L, -1L), await ListAsync(client, "times", 0, -2));
        Assert.Equal((30L, -1L), await ListAsync(client, "times", 0, -1));
        Assert.Equal((29L, T0 + 92), await ListAsync(client, "times", 0, -3));
        Assert.Equal((0L, T0), await ListAsync(client, "times", 0, T0 - 5));
        Assert.Equal((13L, T0 + 41), await ListAsync(client, "times", 0, T0 + 41));
        Assert.Equal((15L, T0 + 50), await ListAsync(client, "times", 0, T0 + 43)); // between batches: the next batch's first record
        Assert.Equal((29L, T0 + 92), await ListAsync(client, "times", 0, T0 + 92));
        Assert.Equal((-1L, -1L), await ListAsync(client, "times", 0, T0 + 93));

        var unknown = await SendAsync(client, "times", 7, -1);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, unknown.ErrorCode);
        var noTopic = await SendAsync(client, "no-such-topic", 0, -1);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, noTopic.ErrorCode);
    }

    private static async Task<(long Offset, long Timestamp)> ListAsync(RawKafkaClient client, string topic, int partition, long timestamp)
    {
        var p = await SendAsync(client, topic, partition, timestamp);
        Assert.Equal((short)ErrorCode.None, p.ErrorCode);
        return (p.Offset, p.Timestamp);
    }

    private static async Task<ListOffsetsResponse.ListOffsetsPartitionResponse> SendAsync(RawKafkaClient client, string topic, int partition, long timestamp)
    {
        var response = await client.SendAsync<ListOffsetsResponse>(ApiKey.ListOffsets, 7, new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics = [new ListOffsetsRequest.ListOffsetsTopic { Name = topic, Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = partition, Timestamp = timestamp }] }],
        });
        return response.Topics.Single().Partitions.Single();
    }
}
