using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Handlers;

/// <summary>DescribeCluster, DeleteRecords and DescribeLogDirs against an in-process broker.</summary>
public sealed class ClusterAdminTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task DescribeCluster_names_the_cluster_this_broker_and_a_controller(short version)
    {
        using var client = await fixture.Broker.ConnectAsync();
        var response = await client.SendAsync<DescribeClusterResponse>(new DescribeClusterRequest { IncludeClusterAuthorizedOperations = true }, version);

        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(fixture.Broker.Node.Metadata.Current.ClusterId, response.ClusterId);
        Assert.False(string.IsNullOrEmpty(response.ClusterId));
        Assert.Equal(1, response.ControllerId);
        var broker = Assert.Single(response.Brokers);
        Assert.Equal((1, "127.0.0.1", fixture.Broker.Port, (string?)null), (broker.BrokerId, broker.Host, broker.Port, broker.Rack));
        Assert.NotEqual(int.MinValue, response.ClusterAuthorizedOperations);
    }

    [Fact]
    public async Task DescribeCluster_for_controller_endpoints_is_unsupported_on_a_broker()
    {
        using var client = await fixture.Broker.ConnectAsync();
        var response = await client.SendAsync<DescribeClusterResponse>(new DescribeClusterRequest { EndpointType = 2 }, 1);
        Assert.Equal((short)ErrorCode.UnsupportedEndpointType, response.ErrorCode);
        Assert.Empty(response.Brokers);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task DeleteRecords_advances_the_low_watermark(short version)
    {
        var topic = "dr-" + version;
        await fixture.Broker.CreateTopicAsync(topic, partitions: 2);
        await fixture.Broker.ProduceAsync(topic, 0, count: 10);
        await fixture.Broker.ProduceAsync(topic, 1, count: 5);

        var results = await DeleteAsync(version, (topic, 0, 4), (topic, 1, -1), (topic, 2, 0), ("dr-missing", 0, 0));
        Assert.Equal([(0, 4L, (short)0), (1, 5L, (short)0)], results[topic].Take(2));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, results[topic][2].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Assert.Single(results["dr-missing"]).ErrorCode);
        Assert.Equal(4, fixture.Broker.Node.Replicas.Get(topic, 0)!.Log!.LogStartOffset);

        // Above the high watermark, or below -1: out of range, nothing moves. Below the low watermark: no-op.
        results = await DeleteAsync(version, (topic, 0, 11), (topic, 1, -2));
        Assert.All(results[topic], r => Assert.Equal((short)ErrorCode.OffsetOutOfRange, r.ErrorCode));
        results = await DeleteAsync(version, (topic, 0, 2), (topic, 1, 5));
        Assert.Equal([(0, 4L, (short)0), (1, 5L, (short)0)], results[topic]);

        // Reads start at the new low watermark.
        using var client = await fixture.Broker.ConnectAsync();
        var offsets = await client.SendAsync<ListOffsetsResponse>(new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics = [new ListOffsetsRequest.ListOffsetsTopic
            {
                Name = topic,
                Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = -2 }],
            }],
        }, 7);
        Assert.Equal(4, Assert.Single(Assert.Single(offsets.Topics).Partitions).Offset);
    }

    private async Task<Dictionary<string, List<(int Partition, long LowWatermark, short ErrorCode)>>> DeleteAsync(
        short version, params (string Topic, int Partition, long Offset)[] partitions)
    {
        using var client = await fixture.Broker.ConnectAsync();
        var request = new DeleteRecordsRequest { TimeoutMs = 30_000 };
        foreach (var group in partitions.GroupBy(p => p.Topic))
        {
            request.Topics.Add(new DeleteRecordsRequest.DeleteRecordsTopic
            {
                Name = group.Key,
                Partitions = [.. group.Select(p => new DeleteRecordsRequest.DeleteRecordsPartition { PartitionIndex = p.Partition, Offset = p.Offset })],
            });
        }
        var response = await client.SendAsync<DeleteRecordsResponse>(request, version);
        return response.Topics.ToDictionary(t => t.Name, t => t.Partitions.Select(p => (p.PartitionIndex, p.LowWatermark, p.ErrorCode)).ToList());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public async Task DescribeLogDirs_lists_the_dir_with_partition_sizes(short version)
    {
        var topic = "ld-" + version;
        await fixture.Broker.CreateTopicAsync(topic, partitions: 2);
        await fixture.Broker.ProduceAsync(topic, 1, count: 20, valueSize: 100);
        // CreateTopics answers once the metadata is committed (as Kafka's); each replica's actor opens its log a moment
        // later, and DescribeLogDirs lists the logs there are. Partition 0 takes no produce that would wait for it: a
        // loaded machine once described the dir before its actor had run.
        await Eventually.TrueAsync(() => fixture.Broker.Node.Logs.GetLog(new Broker.Actors.Storage.TopicPartition(topic, 0)) is not null,
            $"the log of {topic}-0 is open");

        using var client = await fixture.Broker.ConnectAsync();
        var all = await client.SendAsync<DescribeLogDirsResponse>(new DescribeLogDirsRequest { Topics = null }, version);
        var dir = Assert.Single(all.Results);
        Assert.Equal(0, dir.ErrorCode);
        Assert.Equal(Path.Combine(fixture.Broker.Dir, "logs"), dir.LogDir);
        var partitions = dir.Topics.Single(t => t.Name == topic).Partitions;
        Assert.Equal([0, 1], partitions.Select(p => p.PartitionIndex));
        Assert.Equal(0, partitions[0].PartitionSize);
        Assert.Equal(fixture.Broker.Node.Replicas.Get(topic, 1)!.Log!.Size, partitions[1].PartitionSize);
        Assert.True(partitions[1].PartitionSize > 2000);
        Assert.All(partitions, p => Assert.Equal((0L, false), (p.OffsetLag, p.IsFutureKey)));
        if (version >= 4)
        {
            Assert.True(dir.TotalBytes > 0 && dir.UsableBytes > 0 && dir.UsableBytes <= dir.TotalBytes, $"{dir.TotalBytes} {dir.UsableBytes}");
        }

        var some = await client.SendAsync<DescribeLogDirsResponse>(new DescribeLogDirsRequest
        {
            Topics = [new DescribeLogDirsRequest.DescribableLogDirTopic { Topic = topic, Partitions = [1, 7] }],
        }, version);
        var only = Assert.Single(Assert.Single(some.Results).Topics);
        Assert.Equal(topic, only.Name);
        Assert.Equal(1, Assert.Single(only.Partitions).PartitionIndex);
    }

    [Fact]
    public async Task CreateTopics_v5_and_later_report_the_new_topics_configs()
    {
        var result = await fixture.Broker.CreateTopicAsync("ct-configs", configs: new Dictionary<string, string> { ["retention.ms"] = "1000" });
        Assert.NotNull(result.Configs);
        Assert.Equal(result.Configs.Select(c => c.Name).Order(StringComparer.Ordinal), result.Configs.Select(c => c.Name));
        var retention = result.Configs.Single(c => c.Name == "retention.ms");
        Assert.Equal(("1000", (sbyte)1, false), (retention.Value, retention.ConfigSource, retention.ReadOnly));
        var segment = result.Configs.Single(c => c.Name == "segment.bytes");
        Assert.Equal(("1073741824", (sbyte)5), (segment.Value, segment.ConfigSource));
        Assert.Equal(0, result.TopicConfigErrorCode);

        var v4 = await fixture.Broker.CreateTopicAsync("ct-configs-v4", version: 4);
        Assert.True(v4.Configs is null || v4.Configs.Count == 0);
    }
}
