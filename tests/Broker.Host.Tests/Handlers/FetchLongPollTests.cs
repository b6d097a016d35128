using System.Diagnostics;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Handlers;

/// <summary>
/// A consumer's fetch with min.bytes 1 on an empty partition waits for data or max.wait, also when it races the
/// replica's start right after CreateTopics: the readable end the purgatory compares against is the one the read
/// stopped at. Taken before the read, a log attached between the two read as "unknown" and woke the fetch at once,
/// answering no records and no error (LongPollTests saw it once: "no records after 68 ms").
/// </summary>
public sealed class FetchLongPollTests
{
    private const int MaxWaitMs = 300;

    [Fact(Timeout = 180_000)]
    public async Task A_fetch_racing_a_new_partitions_start_waits_for_data_or_max_wait()
    {
        await using var broker = await InProcessBroker.StartAsync();
        using var admin = await broker.ConnectAsync();
        using var consumer = await broker.ConnectAsync();
        for (var i = 0; i < 40; i++)
        {
            var topic = "fresh-" + i;
            var created = await admin.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest
            {
                Topics = [new CreateTopicsRequest.CreatableTopic { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }],
                timeoutMs = 30_000,
            }, 7);
            Assert.Equal(0, Assert.Single(created.Topics).ErrorCode);
            // At once, then again after each error (the replica may not be there yet): every answer without an
            // error and without records must have waited max.wait.
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var sw = Stopwatch.StartNew();
                var response = await consumer.SendAsync<FetchResponse>(new FetchRequest
                {
                    ReplicaId = -1,
                    MaxWaitMs = MaxWaitMs,
                    MinBytes = 1,
                    MaxBytes = 1 << 20,
                    Topics = [new FetchRequest.FetchTopic { Topic = topic, Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = 0, PartitionMaxBytes = 1 << 20 }] }],
                }, 12);
                var elapsed = sw.Elapsed;
                var partition = Assert.Single(Assert.Single(response.Responses).Partitions);
                if (partition.ErrorCode != 0)
                {
                    Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"{topic}: still {(ErrorCode)partition.ErrorCode} after 30 s");
                    continue;
                }
                Assert.False(partition.Records is { Length: > 0 }, $"{topic}: records in a partition nobody produced to");
                Assert.True(elapsed >= TimeSpan.FromMilliseconds(MaxWaitMs - 50),
                    $"{topic}: an empty answer without an error after {elapsed.TotalMilliseconds:0} ms (max.wait {MaxWaitMs} ms)");
                break;
            }
        }
    }
}
