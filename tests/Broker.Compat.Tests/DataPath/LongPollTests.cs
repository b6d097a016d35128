using System.Diagnostics;
using Broker.Compat.Tests.Harness;
using Broker.Compat.Tests.Hostile;
using Broker.Protocol.Messages;

namespace Broker.Compat.Tests.DataPath;

/// <summary>
/// A fetch waiting at the log end (min.bytes=1, long max.wait) returns as soon as a record is
/// appended, even when the append races the fetch into the purgatory (the lost-wakeup window).
/// </summary>
public sealed class LongPollTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_waiting_fetch_wakes_on_an_append_that_races_it()
    {
        await using var broker = await BrokerProcess.StartAsync();
        using var producer = await RawKafkaClient.ConnectAsync(broker.Port);
        using var consumer = await RawKafkaClient.ConnectAsync(broker.Port);
        Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(producer, "poll")).ErrorCode);

        var slowest = TimeSpan.Zero;
        for (long offset = 0; offset < 150; offset++)
        {
            var request = new FetchRequest
            {
                MaxWaitMs = 20_000,
                MinBytes = 1,
                MaxBytes = 1 << 20,
                Topics = [new FetchRequest.FetchTopic { Topic = "poll", Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = offset, PartitionMaxBytes = 1 << 20 }] }],
            };
            var sw = Stopwatch.StartNew();
            var fetch = consumer.SendAsync<FetchResponse>(ApiKey.Fetch, RawRequests.FetchVersion, request, TimeSpan.FromSeconds(60));
            var produced = await RawRequests.ProduceAsync(producer, "poll", 0, RawRequests.Batch(1));
            Assert.Equal(offset, produced.BaseOffset);
            var response = await fetch;
            var elapsed = sw.Elapsed;
            slowest = elapsed > slowest ? elapsed : slowest;
            var partition = response.Responses.Single().Partitions.Single();
            Assert.Equal((short)ErrorCode.None, partition.ErrorCode);
            Assert.True(partition.Records is { Length: > 0 }, $"fetch at {offset} returned no records after {elapsed}");
            // max.wait is 20 s: anything near it means the append's wakeup was lost.
            Assert.True(elapsed < TimeSpan.FromSeconds(10), $"fetch at {offset} waited {elapsed.TotalMilliseconds:0} ms for a record appended right after it");
        }
    }
}
