using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Broker.Ctl;

namespace Broker.Compat.Tests.Cluster;

/// <summary>One partition as GET /cluster/partitions shows it.</summary>
public sealed record PartitionInfo(int Partition, int Leader, int LeaderEpoch, int[] Replicas, int[] Isr)
{
    public override string ToString() =>
        $"p{Partition} leader {Leader} epoch {LeaderEpoch} isr [{string.Join(',', Isr)}]";
}

/// <summary>A topic's partitions as one node's GET /cluster/partitions shows them.</summary>
public sealed record TopicState(IReadOnlyList<PartitionInfo> Partitions)
{
    public PartitionInfo this[int partition] => Partitions.Single(p => p.Partition == partition);

    /// <summary>Every partition has a leader and all of its replicas in the ISR.</summary>
    public bool FullyInSync => Partitions.All(p => p.Leader >= 0 && p.Isr.Length == p.Replicas.Length);

    public override string ToString() => string.Join("; ", Partitions);
}

/// <summary>GET /cluster/members: the controller leader and epoch, and each member's status (up, fenced, unreachable, registering).</summary>
public sealed record MembersInfo(int ControllerId, int ControllerEpoch, IReadOnlyDictionary<int, string> Status)
{
    public override string ToString() =>
        $"controller {ControllerId} epoch {ControllerEpoch}; {string.Join(", ", Status.Select(s => $"{s.Key}:{s.Value}"))}";
}

/// <summary>
/// What the failover tests watch in a <see cref="LocalCluster"/>: the management endpoint's members and
/// partitions of one node, brokerctl's rendering of them, and polling with a deadline whose failure
/// message carries the last observation and the nodes' log tails.
/// </summary>
public static class ClusterWatch
{
    public static async Task<TopicState?> PartitionsAsync(LocalCluster cluster, int node, string topic)
    {
        if (await cluster.GetJsonAsync(node, "/cluster/partitions") is not { } body)
        {
            return null;
        }
        foreach (var t in body.GetProperty("topics").EnumerateArray())
        {
            if (t.GetProperty("name").GetString() == topic)
            {
                return new TopicState([.. t.GetProperty("partitions").EnumerateArray().Select(p => new PartitionInfo(
                    p.GetProperty("partition").GetInt32(), p.GetProperty("leader").GetInt32(), p.GetProperty("leaderEpoch").GetInt32(),
                    Ints(p.GetProperty("replicas")), Ints(p.GetProperty("isr"))))]);
            }
        }
        return null;
    }

    public static async Task<MembersInfo?> MembersAsync(LocalCluster cluster, int node)
    {
        if (await cluster.GetJsonAsync(node, "/cluster/members") is not { } body)
        {
            return null;
        }
        var status = body.GetProperty("members").EnumerateArray()
            .ToDictionary(m => m.GetProperty("nodeId").GetInt32(), m => m.GetProperty("status").GetString() ?? "");
        return new MembersInfo(body.GetProperty("controllerId").GetInt32(), body.GetProperty("controllerEpoch").GetInt32(), status);
    }

    /// <summary>brokerctl cluster show against a node's management endpoint (in-process, the real entry point).</summary>
    public static async Task<string> BrokerCtlShowAsync(LocalCluster cluster, int node)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = await BrokerCtl.RunAsync(["--url", cluster.ManagementUrl(node).ToString(), "cluster", "show"], stdout, stderr);
        Assert.True(code == 0, $"brokerctl cluster show on node {node} exited {code}: {stderr}");
        return stdout.ToString();
    }

    /// <summary>The STATUS column of a node's row in brokerctl's members table.</summary>
    public static string? CtlStatus(string table, int nodeId) =>
        table.Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(cells => cells.Length >= 6 && cells[0] == nodeId.ToString(CultureInfo.InvariantCulture))
            .Select(cells => cells[5])
            .FirstOrDefault();

    /// <summary>
    /// Polls <paramref name="probe"/> every half second until <paramref name="done"/> holds; on timeout fails
    /// with <paramref name="what"/>, the last value seen and the nodes' log tails.
    /// </summary>
    public static async Task<T> WaitForAsync<T>(LocalCluster cluster, string what, TimeSpan timeout, Func<Task<T?>> probe, Func<T, bool> done)
        where T : class
    {
        var watch = Stopwatch.StartNew();
        T? last = null;
        while (true)
        {
            last = await probe() ?? last;
            if (last is not null && done(last))
            {
                return last;
            }
            if (watch.Elapsed > timeout)
            {
                Assert.Fail($"{what}: not within {timeout.TotalSeconds:0} s; last seen: {last?.ToString() ?? "nothing"}\n{cluster.Logs(60)}");
            }
            await Task.Delay(500);
        }
    }

    private static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];
}
