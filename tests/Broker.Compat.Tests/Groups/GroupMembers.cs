using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Groups;

/// <summary>Starts group members of each client (the *_group_member scripts) and the streaming producer.</summary>
public static class GroupMembers
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>One member of <paramref name="group"/> subscribed to <paramref name="topic"/>, printing group_cli.py's JSON lines
    /// (<paramref name="commit"/> "revoke" commits only when partitions are given up: confluent only).</summary>
    public static ClientProcess Start(CompatClient client, string name, string bootstrap, string group, string topic,
        int sessionTimeoutMs = 6000, string strategy = "range", string? instanceId = null, string reset = "earliest", string commit = "each")
    {
        var args = new List<string>
        {
            "--bootstrap", bootstrap, "--group", group, "--topic", topic,
            "--session-timeout-ms", sessionTimeoutMs.ToString(CultureInfo.InvariantCulture), "--strategy", strategy, "--reset", reset,
        };
        if (commit != "each")
        {
            args.AddRange(["--commit", commit]);
        }
        if (instanceId is not null)
        {
            args.AddRange(["--instance-id", instanceId]);
        }
        return client switch
        {
            CompatClient.ConfluentKafka => ClientProcess.Python(name, "confluent_group_member.py", args),
            CompatClient.KafkaPython => ClientProcess.Python(name, "kafka_python_group_member.py", args),
            CompatClient.KafkaJs => ClientProcess.Node(name, "kafkajs_group_member.js", args),
            _ => throw new ArgumentOutOfRangeException(nameof(client)),
        };
    }

    /// <summary>Records start, start+1, ... (value "i", partition i % partitions) at about rate per second until its stdin closes.</summary>
    public static ClientProcess StartProducer(string bootstrap, string topic, int partitions, int rate = 100, int start = 0) =>
        ClientProcess.Python("producer", "stream_producer.py",
            ["--bootstrap", bootstrap, "--topic", topic, "--partitions", I(partitions), "--rate", I(rate), "--start", I(start)]);

    /// <summary>Produces <paramref name="count"/> records from <paramref name="start"/> and returns where each landed.</summary>
    public static async Task<List<Produced>> ProduceAsync(string bootstrap, string topic, int partitions, int count, int start)
    {
        var result = (await ClientRunner.PythonAsync("stream_producer.py",
            ["--bootstrap", bootstrap, "--topic", topic, "--partitions", I(partitions), "--rate", "1000", "--start", I(start), "--count", I(count)]))
            .EnsureSuccess();
        return Deliveries(result.JsonLines());
    }

    /// <summary>The producer's delivery lines, checked against its final count.</summary>
    public static List<Produced> Deliveries(IReadOnlyList<JsonElement> lines)
    {
        var produced = lines.Where(l => l.TryGetProperty("i", out _))
            .Select(l => new Produced(l.GetProperty("i").GetInt32(), l.GetProperty("p").GetInt32(), l.GetProperty("o").GetInt64())).ToList();
        Assert.Equal(lines.Single(l => l.TryGetProperty("produced", out _)).GetProperty("produced").GetInt32(), produced.Count);
        return produced;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with every client's output otherwise.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, IEnumerable<ClientProcess> clients, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Patience;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"no {what} within {limit.TotalSeconds:0}s\n" + string.Join("\n", clients.Select(c => $"===== {c.Name}\n{c.Output}")));
            }
            await Task.Delay(50);
        }
    }

    /// <summary>True when the members together hold every partition exactly once, each holding at least one.</summary>
    public static bool Balanced(int partitions, params ClientProcess[] members)
    {
        var held = members.Select(m => GroupTimeline.Held(m.Lines)).ToList();
        return held.All(h => h.Count > 0) && held.Sum(h => h.Count) == partitions && held.SelectMany(h => h).Distinct().Count() == partitions;
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}

public sealed record Produced(int Index, int Partition, long Offset);
