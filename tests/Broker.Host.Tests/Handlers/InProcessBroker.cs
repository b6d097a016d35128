using System.Text;
using Broker.Host.Configuration;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Host.Tests.Handlers;

/// <summary>A <see cref="BrokerNode"/> started in-process on a free port with its own temporary log dir.</summary>
internal sealed class InProcessBroker : IAsyncDisposable
{
    private InProcessBroker(BrokerNode node, string dir)
    {
        Node = node;
        Dir = dir;
    }

    public BrokerNode Node { get; }
    public string Dir { get; }
    public int Port => Node.Port;

    public static async Task<InProcessBroker> StartAsync(IReadOnlyDictionary<string, string?>? extra = null)
    {
        var dir = Directory.CreateTempSubdirectory("akkabroker-admin-").FullName;
        var values = new Dictionary<string, string?>
        {
            ["node.id"] = "1",
            ["process.roles"] = "broker,controller",
            ["controller.quorum.voters"] = "1@127.0.0.1:9093",
            ["log.dirs"] = Path.Combine(dir, "logs"),
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["offsets.topic.replication.factor"] = "1",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            values[k] = v;
        }
        try
        {
            var node = await BrokerNode.StartAsync(BrokerSettings.FromValues(values), NullLoggerFactory.Instance);
            return new InProcessBroker(node, dir);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    public Task<WireClient> ConnectAsync() => WireClient.ConnectAsync(Port);

    /// <summary>Creates a topic through CreateTopics and fails the test unless it succeeds.</summary>
    public async Task<CreateTopicsResponse.CreatableTopicResult> CreateTopicAsync(
        string name, int partitions = 1, IReadOnlyDictionary<string, string>? configs = null, short version = 7)
    {
        using var client = await ConnectAsync();
        var topic = new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = partitions, ReplicationFactor = 1 };
        foreach (var (k, v) in configs ?? new Dictionary<string, string>())
        {
            topic.Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = k, Value = v });
        }
        var response = await client.SendAsync<CreateTopicsResponse>(
            new CreateTopicsRequest { Topics = [topic], timeoutMs = 30_000 }, version);
        var result = Assert.Single(response.Topics);
        Assert.True(result.ErrorCode == 0, $"create {name}: {result.ErrorCode} {result.ErrorMessage}");
        return result;
    }

    /// <summary>Produces <paramref name="count"/> records (key-i / value-i), one batch per call, acks=-1; returns the base offset.</summary>
    public async Task<long> ProduceAsync(string topic, int partition, int count, int valueSize = 10, int batches = 1)
    {
        using var client = await ConnectAsync();
        long first = -1;
        for (var b = 0; b < batches; b++)
        {
            using var builder = new RecordBatchBuilder();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var value = new byte[valueSize];
            for (var i = 0; i < count; i++)
            {
                builder.Append(now, Encoding.UTF8.GetBytes("key-" + i), value);
            }
            var request = new ProduceRequest
            {
                Acks = -1,
                TimeoutMs = 30_000,
                TopicData = [new ProduceRequest.TopicProduceData
                {
                    Name = topic,
                    PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = builder.ToArray() }],
                }],
            };
            var response = await client.SendAsync<ProduceResponse>(request, 9);
            var p = Assert.Single(Assert.Single(response.Responses).PartitionResponses);
            Assert.Equal(0, p.ErrorCode);
            if (first < 0)
            {
                first = p.BaseOffset;
            }
        }
        return first;
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A background segment deletion may still hold a file; the temp dir is left behind.
        }
    }
}
