using Broker.Protocol.Messages;
using Incremental = Broker.Protocol.Messages.IncrementalAlterConfigsRequest;

namespace Broker.Host.Tests.Handlers;

/// <summary>A topic config change reaches the partition logs: segments roll at the new segment.bytes, retention.ms deletes.</summary>
public sealed class TopicConfigEffectTests
{
    [Fact]
    public async Task Segment_bytes_and_retention_ms_changes_take_effect_on_the_partition_log()
    {
        await using var broker = await InProcessBroker.StartAsync();
        await broker.CreateTopicAsync("effect", partitions: 2);
        var handle = broker.Node.Replicas.Get("effect", 1)!;
        await Eventually.TrueAsync(() => handle.Log is not null, "the replica is open");

        await AlterAsync(broker, "effect", ("segment.bytes", "2048"));
        await Eventually.TrueAsync(() => handle.Log!.Config.SegmentBytes == 2048, "segment.bytes reaches the log");

        // Ten batches of ~1.2 KB: at most one fits a 2 KB segment.
        await broker.ProduceAsync("effect", 1, count: 10, valueSize: 100, batches: 10);
        var log = handle.Log!;
        Assert.True(log.SegmentCount >= 5, $"{log.SegmentCount} segments");
        Assert.Equal(100, log.LogEndOffset);
        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal(1, broker.Node.Replicas.Get("effect", 0)!.Log!.SegmentCount); // partition 0 untouched

        await AlterAsync(broker, "effect", ("segment.bytes", "2048"), ("retention.ms", "1"));
        await Eventually.TrueAsync(() => log.Config.RetentionMs == 1, "retention.ms reaches the log");
        await Eventually.TrueAsync(() =>
        {
            broker.Node.Logs.CleanupLogs();
            return log.SegmentCount == 1;
        }, "retention deletes every inactive segment");
        Assert.Equal(90, log.LogStartOffset); // the active segment holds the last batch
        Assert.Equal(100, log.LogEndOffset);
    }

    private static async Task AlterAsync(InProcessBroker broker, string topic, params (string Name, string Value)[] configs)
    {
        using var client = await broker.ConnectAsync();
        var resource = new Incremental.AlterConfigsResource { ResourceType = 2, ResourceName = topic };
        resource.Configs.AddRange(configs.Select(c => new Incremental.AlterableConfig { Name = c.Name, Value = c.Value }));
        var response = await client.SendAsync<IncrementalAlterConfigsResponse>(new Incremental { Resources = [resource] }, 1);
        Assert.Equal(0, Assert.Single(response.Responses).ErrorCode);
    }
}
