using Broker.Host.Network.Client;
using Broker.Protocol.Messages;

namespace Broker.Benchmarks.Groups;

/// <summary>
/// Consumer-group scale on one node, over real sockets with the generated request types: many groups
/// of a few members and one group of many members (see <see cref="ManyGroupsCase"/>,
/// <see cref="LargeGroupCase"/>, <see cref="CommitLoad"/>). Prints Markdown rows; <c>Groups/run.sh</c>
/// starts the broker and librdkafka's mock cluster and assembles the table. Run:
/// <c>dotnet Broker.Benchmarks.dll groups --bootstrap 127.0.0.1:9092 [--broker-pid PID] [--case large|many|all] ...</c>
/// </summary>
internal static class GroupBench
{
    public static void Run(string[] args) => RunAsync(GroupBenchOptions.Parse(args)).GetAwaiter().GetResult();

    private static async Task RunAsync(GroupBenchOptions o)
    {
        var report = new GroupBenchReport(o.Label);
        BenchMember.LeaderSyncDelayMs = o.LeaderSyncDelayMs;
        using var broker = o.BrokerPid > 0 ? new ProcessSampler(o.BrokerPid) : null;
        using var client = new ProcessSampler(Environment.ProcessId);
        Wire wire;
        await using (var first = await NodeConnection.ConnectAsync(o.Host, o.Port, "gbench").ConfigureAwait(false))
        {
            wire = await Wire.NegotiateAsync(first).ConfigureAwait(false);
            await CreateTopicAsync(first, wire, o.CommitTopic, Math.Max(o.CommitPartitions, 1)).ConfigureAwait(false);
            // Consumers ask for their coordinator first; on this broker that also creates __consumer_offsets.
            var find = await first.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { Key = "gbench" }, 1, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (find.ErrorCode != 0)
            {
                throw new InvalidOperationException($"FindCoordinator: {(ErrorCode)find.ErrorCode}");
            }
        }
        report.Note($"{wire}; broker RSS at start {(broker is null ? double.NaN : broker.RssMb()):F0} MB");
        try
        {
            if (o.Case is "large" or "all")
            {
                await LargeGroupCase.RunAsync(o, wire, broker, client, report).ConfigureAwait(false);
            }
            if (o.Case is "many" or "all")
            {
                await ManyGroupsCase.RunAsync(o, wire, broker, client, report).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or NodeConnectionException)
        {
            report.Note($"ABORTED: {ex.GetType().Name}: {ex.Message}");
        }
        report.Print();
    }

    private static async Task CreateTopicAsync(NodeConnection connection, Wire wire, string name, int partitions)
    {
        if (wire.CreateTopics < 0)
        {
            return; // the mock cluster: run.sh creates it there
        }
        var request = new CreateTopicsRequest { timeoutMs = 30_000 };
        request.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = partitions, ReplicationFactor = 1 });
        var response = await connection.SendAsync<CreateTopicsResponse>(request, wire.CreateTopics, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var error = (ErrorCode)response.Topics[0].ErrorCode;
        if (error is not ErrorCode.None and not ErrorCode.TopicAlreadyExists)
        {
            throw new InvalidOperationException($"CreateTopics {name}: {error}");
        }
    }

    /// <summary>Opens <paramref name="count"/> connections, a few dozen handshakes at a time.</summary>
    public static async Task<List<NodeConnection>> ConnectAsync(GroupBenchOptions o, int count)
    {
        var connections = new NodeConnection[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            connections[i] = await NodeConnection.ConnectAsync(o.Host, o.Port, $"gbench-{i}", cancellationToken: ct).ConfigureAwait(false)).ConfigureAwait(false);
        return [.. connections];
    }

    public static async Task DisposeAllAsync(IEnumerable<NodeConnection> connections)
    {
        foreach (var c in connections)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
    }
}
