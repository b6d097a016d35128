using System.Globalization;
using System.Text.Json;

namespace Broker.Compat.Tests.Harness;

/// <summary>The client libraries the compat scripts drive.</summary>
public enum CompatClient
{
    /// <summary>confluent-kafka-python: librdkafka underneath (tests/compat/python/confluent_client.py).</summary>
    ConfluentKafka,
    /// <summary>kafka-python, pure Python (tests/compat/python/kafka_python_client.py).</summary>
    KafkaPython,
    /// <summary>kafkajs on node (tests/compat/node/kafkajs_client.js).</summary>
    KafkaJs,
}

public sealed record Delivery(int Partition, long Offset, string Key);

public sealed record ClientRecord(int Partition, long Offset, long Timestamp, string? Key, string? Value, IReadOnlyDictionary<string, string?> Headers);

public sealed record PartitionOffset(int Partition, long Offset);

/// <summary>
/// Typed calls of one client's compat script against one broker. Every script takes the same
/// commands (see tests/compat/python/compat_cli.py); record i has key "key-i", value "value-i" and
/// header index=i. A call fails with the client's whole output unless the script exits 0.
/// </summary>
public sealed class ClientScripts(CompatClient client, string bootstrapServers, TimeSpan? timeout = null)
{
    public CompatClient Client => client;

    public static string ScriptOf(CompatClient client) => client switch
    {
        CompatClient.ConfluentKafka => "confluent_client.py",
        CompatClient.KafkaPython => "kafka_python_client.py",
        CompatClient.KafkaJs => "kafkajs_client.js",
        _ => throw new ArgumentOutOfRangeException(nameof(client)),
    };

    /// <summary>Runs one command; the result says whether it succeeded, failed, or is unsupported by this client.</summary>
    public Task<ClientResult> RunAsync(string command, params string[] options)
    {
        var limit = timeout ?? ClientRunner.DefaultTimeout;
        // The script's own deadline is shorter than the runner's, so a slow client reports why it gave up.
        var scriptTimeoutMs = (long)(limit.TotalMilliseconds * 2 / 3);
        var args = new List<string> { "--bootstrap", bootstrapServers, "--timeout-ms", I(scriptTimeoutMs), command };
        args.AddRange(options);
        return client == CompatClient.KafkaJs
            ? ClientRunner.NodeAsync(ScriptOf(client), args, limit)
            : ClientRunner.PythonAsync(ScriptOf(client), args, limit);
    }

    public async Task CreateTopicAsync(string topic, int partitions = 1, IReadOnlyDictionary<string, string>? configs = null)
    {
        var options = new List<string> { "--topic", topic, "--partitions", I(partitions) };
        AddConfigs(options, configs);
        (await RunAsync("create-topic", [.. options])).EnsureSuccess();
    }

    public async Task DeleteTopicAsync(string topic) =>
        (await RunAsync("delete-topic", "--topic", topic)).EnsureSuccess();

    /// <summary>Produces records start..start+count-1 and returns where each landed, in send order.</summary>
    public async Task<IReadOnlyList<Delivery>> ProduceAsync(
        string topic, int count, int start = 0, int? partition = null, string codec = "none", string acks = "all", string prefix = "")
    {
        var options = new List<string> { "--topic", topic, "--count", I(count), "--start", I(start), "--codec", codec, "--acks", acks };
        if (partition is { } p)
        {
            options.AddRange(["--partition", I(p)]);
        }
        if (prefix.Length > 0)
        {
            options.AddRange(["--prefix", prefix]);
        }
        var result = (await RunAsync("produce", [.. options])).EnsureSuccess();
        return [.. result.JsonLines().Select(j => new Delivery(j.GetProperty("partition").GetInt32(), j.GetProperty("offset").GetInt64(), j.GetProperty("key").GetString()!))];
    }

    /// <summary>Reads <paramref name="count"/> records of one partition from <paramref name="offset"/>; fails if fewer arrive.</summary>
    public async Task<IReadOnlyList<ClientRecord>> ConsumeAsync(string topic, int partition, long offset, int count)
    {
        var result = (await RunAsync("consume", "--topic", topic, "--partition", I(partition), "--offset", I(offset), "--count", I(count))).EnsureSuccess();
        return [.. result.JsonLines().Select(ParseRecord)];
    }

    /// <summary>ListOffsets per partition: <paramref name="timestamp"/> is "earliest", "latest" or epoch milliseconds.</summary>
    public async Task<IReadOnlyList<PartitionOffset>> ListOffsetsAsync(string topic, string timestamp)
    {
        var result = (await RunAsync("list-offsets", "--topic", topic, "--timestamp", timestamp)).EnsureSuccess();
        return [.. result.JsonLines().Select(j => new PartitionOffset(j.GetProperty("partition").GetInt32(), j.GetProperty("offset").GetInt64()))];
    }

    /// <summary>Non-incremental AlterConfigs: topic configs not named return to their defaults.</summary>
    public async Task AlterConfigAsync(string topic, IReadOnlyDictionary<string, string> configs)
    {
        var options = new List<string> { "--topic", topic };
        AddConfigs(options, configs);
        (await RunAsync("alter-config", [.. options])).EnsureSuccess();
    }

    public async Task<IReadOnlyDictionary<string, string?>> DescribeConfigAsync(string topic, params string[] names)
    {
        var options = new List<string> { "--topic", topic };
        foreach (var n in names)
        {
            options.AddRange(["--name", n]);
        }
        var result = (await RunAsync("describe-config", [.. options])).EnsureSuccess();
        return result.JsonLines().ToDictionary(j => j.GetProperty("name").GetString()!, j => j.GetProperty("value").GetString());
    }

    /// <summary>DeleteRecords below <paramref name="beforeOffset"/>; returns the partition's new low watermark.</summary>
    public async Task<long> DeleteRecordsAsync(string topic, int partition, long beforeOffset)
    {
        var result = (await RunAsync("delete-records", "--topic", topic, "--partition", I(partition), "--before-offset", I(beforeOffset))).EnsureSuccess();
        return result.JsonLines().Single().GetProperty("low_watermark").GetInt64();
    }

    private static ClientRecord ParseRecord(JsonElement j) => new(
        j.GetProperty("partition").GetInt32(),
        j.GetProperty("offset").GetInt64(),
        j.GetProperty("timestamp").GetInt64(),
        j.GetProperty("key").GetString(),
        j.GetProperty("value").GetString(),
        j.GetProperty("headers").EnumerateObject().ToDictionary(h => h.Name, h => h.Value.GetString()));

    private static void AddConfigs(List<string> options, IReadOnlyDictionary<string, string>? configs)
    {
        foreach (var (k, v) in configs ?? new Dictionary<string, string>())
        {
            options.AddRange(["--config", $"{k}={v}"]);
        }
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}
