using System.Globalization;
using System.Text.Json;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// The cluster's acceptance test with real processes: three nodes started by deploy/cluster.sh, a topic of
/// replication factor 3 and min.insync.replicas=2, and confluent-kafka (idempotent, acks=all) streaming into
/// it while the leader of every partition is killed -9 and restarted, twice, and then the active controller.
/// After each kill the survivors move the leaderships, the controller fences the dead node (GET /cluster/members
/// and brokerctl say so), producing goes on; after each restart the node is up again and back in every ISR.
/// At the end a consumer finds every acknowledged record at its offset, in order, none twice.
/// </summary>
[Collection(ClusterProcessesCollection.Name)]
public sealed class ClusterFailoverTests
{
    private const string Topic = "failover";
    private const int PartitionCount = 3;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Rejoin = TimeSpan.FromSeconds(90);

    [Fact(Timeout = 480_000)]
    public async Task Acknowledged_records_survive_kill_9_of_every_partition_leader_twice_and_of_the_controller()
    {
        await using var cluster = await LocalCluster.StartAsync(3);
        await ClusterSetup.WaitForMembersUpAsync(cluster);
        await ClusterSetup.CreateTopicAsync(cluster, Topic, PartitionCount);

        await using var producer = StreamingProducer.Start(cluster, Topic, PartitionCount, ratePerSecond: 300);
        await producer.WaitForMoreAcksAsync(300, Step, () => cluster.Logs(60));

        // Kill the leader of a partition that has lost its leader fewer than twice; every partition it
        // leads at that moment counts as having lost its leader.
        var leaderKills = new int[PartitionCount];
        var kills = 0;
        while (leaderKills.Any(k => k < 2))
        {
            var state = await ClusterWatch.WaitForAsync(cluster, "every partition has a leader", Step,
                () => ClusterWatch.PartitionsAsync(cluster, 1, Topic), s => s.Partitions.All(p => p.Leader > 0));
            var target = state.Partitions.Where(p => leaderKills[p.Partition] < 2).MinBy(p => leaderKills[p.Partition])!;
            var victim = target.Leader;
            var led = state.Partitions.Where(p => p.Leader == victim).Select(p => p.Partition).ToArray();
            await KillAndRestartAsync(cluster, producer, victim, led);
            foreach (var p in led)
            {
                leaderKills[p]++;
            }
            Assert.True(++kills <= 6, $"leaderships did not spread: kills per partition {string.Join(',', leaderKills)}");
        }

        var members = await ClusterWatch.WaitForAsync(cluster, "a known controller", Step,
            () => ClusterWatch.MembersAsync(cluster, 1), m => m.ControllerId > 0);
        var controller = members.ControllerId;
        var controllerLed = (await ClusterWatch.PartitionsAsync(cluster, 1, Topic))!.Partitions
            .Where(p => p.Leader == controller).Select(p => p.Partition).ToArray();
        await KillAndRestartAsync(cluster, producer, controller, controllerLed, members);

        var summary = await producer.StopAsync();
        Assert.True(summary.GetProperty("failed").GetInt32() == 0 && summary.GetProperty("unflushed").GetInt32() == 0,
            $"the producer lost deliveries: {summary}\n{cluster.Logs(60)}\n--- producer (librdkafka) log tail\n{producer.StderrTail()}");
        await ClusterSetup.VerifyAsync(cluster, Topic, PartitionCount, producer, summary.GetProperty("acked").GetInt32());
        for (var n = 1; n <= 3; n++)
        {
            var node = n;
            await ClusterWatch.WaitForAsync(cluster, $"node {node} sees every ISR complete", Rejoin,
                () => ClusterWatch.PartitionsAsync(cluster, node, Topic), s => s.FullyInSync);
        }
    }

    /// <summary>
    /// kill -9 of <paramref name="victim"/>; the survivors elect new leaders for <paramref name="led"/> (and a new
    /// controller when <paramref name="controllerBefore"/> says it was the controller), fence it, keep acknowledging;
    /// then restart it and wait until it is up and back in every ISR.
    /// </summary>
    private static async Task KillAndRestartAsync(LocalCluster cluster, StreamingProducer producer, int victim, int[] led,
        MembersInfo? controllerBefore = null)
    {
        await cluster.KillAsync(victim);
        var observer = victim == 1 ? 2 : 1;
        var other = 6 - victim - observer;
        var what = $"after kill -9 of node {victim} (leader of {string.Join(',', led.Select(p => "p" + p))})";

        if (controllerBefore is { } before)
        {
            var after = await ClusterWatch.WaitForAsync(cluster, $"{what}: a new active controller", Step,
                () => ClusterWatch.MembersAsync(cluster, observer),
                m => m.ControllerId > 0 && m.ControllerId != victim && m.ControllerEpoch > before.ControllerEpoch);
            // Both survivors agree on who leads the quorum and in which epoch.
            await ClusterWatch.WaitForAsync(cluster, $"{what}: node {other} agrees on controller {after.ControllerId}", Step,
                () => ClusterWatch.MembersAsync(cluster, other),
                m => m.ControllerId == after.ControllerId && m.ControllerEpoch == after.ControllerEpoch);
        }
        await ClusterWatch.WaitForAsync(cluster, $"{what}: new leaders without it", Step,
            () => ClusterWatch.PartitionsAsync(cluster, observer, Topic),
            s => led.All(p => s[p].Leader > 0 && s[p].Leader != victim) && s.Partitions.All(p => !p.Isr.Contains(victim)));
        var fenced = await ClusterWatch.WaitForAsync(cluster, $"{what}: node {victim} fenced in /cluster/members", Step,
            () => ClusterWatch.MembersAsync(cluster, observer), m => m.Status.GetValueOrDefault(victim) == "fenced" && m.ControllerId > 0);
        var table = await ClusterWatch.BrokerCtlShowAsync(cluster, observer);
        Assert.True(ClusterWatch.CtlStatus(table, victim) == "fenced", $"{what}: brokerctl cluster show:\n{table}");
        Assert.Contains($"controller leader {fenced.ControllerId.ToString(CultureInfo.InvariantCulture)}", table, StringComparison.Ordinal);
        // Acknowledgements go on with two of three replicas.
        await producer.WaitForMoreAcksAsync(200, Step, () => $"{what}\n{cluster.Logs(60)}");

        await cluster.RestartAsync(victim);
        what = $"after restart of node {victim}";
        await ClusterWatch.WaitForAsync(cluster, $"{what}: it is up in node {observer}'s /cluster/members", Rejoin,
            () => ClusterWatch.MembersAsync(cluster, observer), m => m.Status.GetValueOrDefault(victim) == "up");
        await ClusterWatch.WaitForAsync(cluster, $"{what}: it is back in every ISR", Rejoin,
            () => ClusterWatch.PartitionsAsync(cluster, observer, Topic), s => s.FullyInSync);
        table = await ClusterWatch.BrokerCtlShowAsync(cluster, victim);
        Assert.True(ClusterWatch.CtlStatus(table, victim) == "up", $"{what}: brokerctl cluster show on it:\n{table}");
        await producer.WaitForMoreAcksAsync(200, Step, () => $"{what}\n{cluster.Logs(60)}");
    }
}

/// <summary>Steps the cluster acceptance tests share: waiting for the members, creating the topic, the final read-back.</summary>
internal static class ClusterSetup
{
    public static async Task WaitForMembersUpAsync(LocalCluster cluster)
    {
        for (var n = 1; n <= cluster.Nodes; n++)
        {
            var node = n;
            await ClusterWatch.WaitForAsync(cluster, $"node {node} sees every member up and a controller", TimeSpan.FromSeconds(120),
                () => ClusterWatch.MembersAsync(cluster, node),
                m => m.ControllerId > 0 && m.Status.Count == cluster.Nodes && m.Status.Values.All(s => s == "up"));
        }
    }

    /// <summary>Replication factor 3, min.insync.replicas=2, created with confluent-kafka's admin client; waits
    /// until every node sees each partition led and fully in sync.</summary>
    public static async Task CreateTopicAsync(LocalCluster cluster, string topic, int partitions)
    {
        var admin = new ClientScripts(CompatClient.ConfluentKafka, cluster.BootstrapServers, TimeSpan.FromSeconds(90));
        var created = await admin.RunAsync("create-topic", "--topic", topic, "--partitions", partitions.ToString(CultureInfo.InvariantCulture),
            "--replication-factor", "3", "--config", "min.insync.replicas=2");
        Assert.True(created.Succeeded, $"create-topic failed:\n{created}\n{cluster.Logs(60)}");
        for (var n = 1; n <= cluster.Nodes; n++)
        {
            var node = n;
            await ClusterWatch.WaitForAsync(cluster, $"node {node} sees {topic} led and in sync", TimeSpan.FromSeconds(60),
                () => ClusterWatch.PartitionsAsync(cluster, node, topic), s => s.Partitions.Count == partitions && s.FullyInSync);
        }
    }

    /// <summary>
    /// After a paused leader resumed: it follows now (the leaders elected meanwhile keep leading, with their epochs,
    /// in its own view too), it is back in every ISR and up in /cluster/members, and the stream goes on.
    /// </summary>
    public static async Task WaitForRejoinAsFollowerAsync(LocalCluster cluster, StreamingProducer producer, string topic, string what,
        int victim, int[] led, int observer)
    {
        var step = TimeSpan.FromSeconds(60);
        var rejoin = TimeSpan.FromSeconds(90);
        var after = await ClusterWatch.WaitForAsync(cluster, $"{what}: back in every ISR", rejoin,
            () => ClusterWatch.PartitionsAsync(cluster, observer, topic), s => s.FullyInSync);
        await ClusterWatch.WaitForAsync(cluster, $"{what}: its own view has the new leaders", step,
            () => ClusterWatch.PartitionsAsync(cluster, victim, topic),
            s => led.All(p => s[p].Leader == after[p].Leader && s[p].LeaderEpoch == after[p].LeaderEpoch && s[p].Leader != victim));
        await ClusterWatch.WaitForAsync(cluster, $"{what}: up in /cluster/members", rejoin,
            () => ClusterWatch.MembersAsync(cluster, observer), m => m.Status.GetValueOrDefault(victim) == "up");
        await producer.WaitForMoreAcksAsync(200, step, () => $"{what}\n{cluster.Logs(60)}");
    }

    /// <summary>cluster_verify.py: every acknowledged record at its offset, values increasing per partition, none twice, no foreign record.</summary>
    public static async Task<JsonElement> VerifyAsync(LocalCluster cluster, string topic, int partitions, StreamingProducer producer, int acked)
    {
        var result = await ClientRunner.PythonAsync("cluster_verify.py",
            [cluster.BootstrapServers, topic, partitions.ToString(CultureInfo.InvariantCulture), producer.AckedFile], TimeSpan.FromSeconds(180));
        Assert.True(result.Succeeded, $"verification failed:\n{result}\n{cluster.Logs(60)}");
        using var doc = JsonDocument.Parse(result.Stdout.Trim().Split('\n')[^1]);
        var summary = doc.RootElement.Clone();
        Assert.Equal(acked, summary.GetProperty("acked").GetInt32());
        Assert.True(summary.GetProperty("read").GetInt32() >= acked, summary.ToString());
        return summary;
    }
}
