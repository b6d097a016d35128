using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Broker.Compat.Tests.Harness;
using Broker.Ctl;
using Broker.Protocol.Messages;
using Xunit.Abstractions;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// <c>brokerctl cluster down</c> and <c>cluster leave</c> on three broker processes (deploy/cluster.sh) while
/// confluent-kafka streams idempotent acks=all records (RF 3, min.insync.replicas=2):
/// <list type="bullet">
/// <item>down: a partition leader that is not the active controller hangs (SIGSTOP); brokerctl downs it and the
/// controller fences it at once (GET /cluster/members says fenced, Metadata names new leaders), long before its session
/// would; resumed, it must register again (a new broker epoch) and rejoins every ISR.</item>
/// <item>leave: another node is asked to leave; its leaderships move away at once, it exits by itself through its
/// graceful shutdown (its log's last line: exit code 0) and shows fenced.</item>
/// </list>
/// No delivery fails, and a consumer finds every acknowledged record at its offset. Times are written to the test output.
/// </summary>
[Collection(ClusterProcessesCollection.Name)]
public sealed class MembershipClusterTests(ITestOutputHelper output)
{
    private const string Topic = "membership";
    private const int PartitionCount = 3;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Rejoin = TimeSpan.FromSeconds(90);

    /// <summary>Longer than the default 9 s so that, on a loaded machine, only the down can have fenced the paused
    /// node (a down of a node its session already fenced answers 409).</summary>
    private const int SessionMs = 30_000;

    [Fact(Timeout = 480_000)]
    public async Task Down_fences_a_hung_node_at_once_and_leave_stops_a_node_gracefully_without_failed_deliveries()
    {
        await using var cluster = await LocalCluster.StartAsync(3, new Dictionary<string, string>
        {
            ["broker.session.timeout.ms"] = SessionMs.ToString(CultureInfo.InvariantCulture),
        });
        await ClusterSetup.WaitForMembersUpAsync(cluster);
        await ClusterSetup.CreateTopicAsync(cluster, Topic, PartitionCount);

        await using var producer = StreamingProducer.Start(cluster, Topic, PartitionCount, ratePerSecond: 300);
        using var gaps = new AckGapWatch(producer.AckedFile);
        await producer.WaitForMoreAcksAsync(300, Step, () => cluster.Logs(60));

        // ---- down: the hung leader of a partition, not the active controller (2 when node 1 is the controller).
        var members = await ClusterWatch.WaitForAsync(cluster, "a known controller", Step, () => ClusterWatch.MembersAsync(cluster, 1), m => m.ControllerId > 0);
        var controller = members.ControllerId;
        var state = (await ClusterWatch.PartitionsAsync(cluster, controller, Topic))!;
        var downed = state.Partitions.Select(p => p.Leader).Where(l => l != controller).Order().FirstOrDefault(-1);
        if (downed < 0)
        {
            downed = controller == 2 ? 3 : 2; // the controller leads everything: down a follower (nothing to move)
        }
        var leaving = Enumerable.Range(1, 3).Single(n => n != controller && n != downed);
        var led = state.Partitions.Where(p => p.Leader == downed).Select(p => p.Partition).ToArray();
        var epochBefore = await BrokerEpochAsync(cluster, controller, downed);
        var what = $"node {downed} (leader of {string.Join(',', led.Select(p => "p" + p))}; {members}) paused and downed";

        await cluster.PauseAsync(downed);
        var clock = Stopwatch.StartNew();
        var answer = await BrokerCtlAsync(cluster, controller, "down", downed);
        var downAccepted = clock.Elapsed;
        Assert.Contains("fenced", answer, StringComparison.Ordinal);
        await PollAsync(cluster, $"{what}: fenced in /cluster/members", Step,
            async () => (await ClusterWatch.MembersAsync(cluster, leaving))?.Status.GetValueOrDefault(downed) == "fenced");
        var downFenced = clock.Elapsed;
        await PollAsync(cluster, $"{what}: Metadata names new leaders", Step,
            async () => await MetadataLeadersAsync(cluster, leaving) is { } leaders
                && led.All(p => leaders[p].Leader > 0 && leaders[p].Leader != downed && leaders[p].Epoch > state[p].LeaderEpoch));
        var downLeadersMoved = clock.Elapsed;
        Assert.True(downFenced < TimeSpan.FromMilliseconds(SessionMs), $"{what}: fenced after {downFenced}, its session could have done that");
        var table = await ClusterWatch.BrokerCtlShowAsync(cluster, leaving);
        Assert.True(ClusterWatch.CtlStatus(table, downed) == "fenced", $"{what}: brokerctl cluster show:\n{table}");
        await producer.WaitForMoreAcksAsync(200, Step, () => $"{what}\n{cluster.Logs(60)}");

        // Resumed, it learns it was downed from its refused heartbeat and registers again before it leads anything.
        await cluster.ResumeAsync(downed);
        what = $"node {downed} resumed after its down";
        await PollAsync(cluster, $"{what}: registered again (a new broker epoch) and up", Rejoin,
            async () => await BrokerEpochAsync(cluster, controller, downed) is { } epoch && epoch > epochBefore
                && (await ClusterWatch.MembersAsync(cluster, controller))?.Status.GetValueOrDefault(downed) == "up");
        Assert.Contains(File.ReadLines(Path.Combine(cluster.NodeDir(downed), "node.log")),
            l => l.Contains("registering again", StringComparison.Ordinal));
        await ClusterWatch.WaitForAsync(cluster, $"{what}: back in every ISR", Rejoin,
            () => ClusterWatch.PartitionsAsync(cluster, controller, Topic), s => s.FullyInSync);
        await producer.WaitForMoreAcksAsync(200, Step, () => $"{what}\n{cluster.Logs(60)}");

        // ---- leave: the third node (neither the controller nor the downed node).
        var before = (await ClusterWatch.PartitionsAsync(cluster, controller, Topic))!;
        var leaderships = before.Partitions.Where(p => p.Leader == leaving).Select(p => p.Partition).ToArray();
        what = $"node {leaving} (leader of {string.Join(',', leaderships.Select(p => "p" + p))}) asked to leave";
        clock.Restart();
        answer = await BrokerCtlAsync(cluster, downed, "leave", leaving);
        var leaveAccepted = clock.Elapsed;
        Assert.Contains("leaving", answer, StringComparison.Ordinal);
        var moved = await ClusterWatch.WaitForAsync(cluster, $"{what}: its leaderships and ISR places moved", Step,
            () => ClusterWatch.PartitionsAsync(cluster, controller, Topic),
            s => s.Partitions.All(p => p.Leader > 0 && p.Leader != leaving && !p.Isr.Contains(leaving)));
        var leaveMoved = clock.Elapsed;
        Assert.All(leaderships, p => Assert.True(moved[p].LeaderEpoch > before[p].LeaderEpoch, $"{what}: p{p} moved without a new epoch"));
        await PollAsync(cluster, $"{what}: its process exits", TimeSpan.FromSeconds(120), () => Task.FromResult(!cluster.IsRunning(leaving)));
        var leaveExited = clock.Elapsed;
        var log = File.ReadAllLines(Path.Combine(cluster.NodeDir(leaving), "node.log"));
        Assert.True(log.Any(l => l.Contains($"akkabroker node {leaving} leaves the cluster", StringComparison.Ordinal))
            && log.Last(l => l.Length > 0).Contains($"akkabroker node {leaving} exits with code 0", StringComparison.Ordinal),
            $"{what}: not a graceful exit; its log ends:\n{string.Join('\n', log.TakeLast(30))}");
        await ClusterWatch.WaitForAsync(cluster, $"{what}: fenced in /cluster/members", Step,
            () => ClusterWatch.MembersAsync(cluster, controller), m => m.Status.GetValueOrDefault(leaving) == "fenced");
        await producer.WaitForMoreAcksAsync(200, Step, () => $"{what}\n{cluster.Logs(60)}");

        var summary = await producer.StopAsync();
        var longestGap = gaps.Longest;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"down {downed}: accepted {downAccepted.TotalMilliseconds:0} ms, fenced in /cluster/members {downFenced.TotalMilliseconds:0} ms, Metadata leaders moved {downLeadersMoved.TotalMilliseconds:0} ms after the brokerctl call (session {SessionMs} ms)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"leave {leaving}: accepted {leaveAccepted.TotalMilliseconds:0} ms, leaderships moved (seen) {leaveMoved.TotalMilliseconds:0} ms, process exited {leaveExited.TotalMilliseconds:0} ms after the brokerctl call"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"longest gap without acks: any partition {longestGap.Any.TotalMilliseconds:0} ms; per partition {string.Join(", ", longestGap.PerPartition.Select(kv => $"p{kv.Key} {kv.Value.TotalMilliseconds:0} ms"))}; load {File.ReadAllText("/proc/loadavg").Trim()}"));
        output.WriteLine(summary.ToString());
        Assert.True(summary.GetProperty("failed").GetInt32() == 0 && summary.GetProperty("unflushed").GetInt32() == 0,
            $"membership: failed deliveries {summary}\n{producer.StderrTail(80)}\n{cluster.Logs(80)}");
        await ClusterSetup.VerifyAsync(cluster, Topic, PartitionCount, producer, summary.GetProperty("acked").GetInt32());
    }

    /// <summary>brokerctl cluster leave|down through a node's management endpoint (in-process, the real entry point); its stdout.</summary>
    private static async Task<string> BrokerCtlAsync(LocalCluster cluster, int via, string operation, int node)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = await BrokerCtl.RunAsync(["--url", cluster.ManagementUrl(via).ToString(), "cluster", operation, node.ToString(CultureInfo.InvariantCulture)], stdout, stderr);
        Assert.True(code == 0, $"brokerctl cluster {operation} {node} on node {via} exited {code}: {stderr}\n{cluster.Logs(60)}");
        return stdout.ToString();
    }

    private static async Task<long?> BrokerEpochAsync(LocalCluster cluster, int via, int node) =>
        await cluster.GetJsonAsync(via, "/cluster/members") is { } body
        && body.GetProperty("members").EnumerateArray().FirstOrDefault(m => m.GetProperty("nodeId").GetInt32() == node) is { ValueKind: JsonValueKind.Object } member
        && member.TryGetProperty("brokerEpoch", out var epoch) && epoch.ValueKind == JsonValueKind.Number
            ? epoch.GetInt64()
            : null;

    /// <summary>The topic's leaders and leader epochs as a Kafka client sees them (Metadata v9), or null when the node does not answer.</summary>
    private static async Task<Dictionary<int, (int Leader, int Epoch)>?> MetadataLeadersAsync(LocalCluster cluster, int node)
    {
        try
        {
            using var client = await RawKafkaClient.ConnectAsync(cluster.KafkaPort(node));
            var response = await client.SendAsync<MetadataResponse>(ApiKey.Metadata, 9,
                new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = Topic }] }, TimeSpan.FromSeconds(10));
            return response.Topics.Single().Partitions.ToDictionary(p => p.PartitionIndex, p => (p.LeaderId, p.LeaderEpoch));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    /// <summary>Polls every 100 ms (the times measured are this fine) until <paramref name="done"/>.</summary>
    private static async Task PollAsync(LocalCluster cluster, string what, TimeSpan timeout, Func<Task<bool>> done)
    {
        var watch = Stopwatch.StartNew();
        while (!await done())
        {
            if (watch.Elapsed > timeout)
            {
                Assert.Fail($"{what}: not within {timeout.TotalSeconds:0} s\n{cluster.Logs(60)}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Reads the producer's acknowledgement file as it grows (every 50 ms) and keeps the longest time without
    /// a new acknowledgement, overall and per partition.</summary>
    private sealed class AckGapWatch : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly Dictionary<int, TimeSpan> _longest = [];
        private TimeSpan _longestAny;

        public AckGapWatch(string ackedFile) => _loop = Task.Run(() => RunAsync(ackedFile));

        public (TimeSpan Any, IReadOnlyDictionary<int, TimeSpan> PerPartition) Longest
        {
            get
            {
                _stop.Cancel();
                _loop.Wait();
                return (_longestAny, new SortedDictionary<int, TimeSpan>(_longest));
            }
        }

        private async Task RunAsync(string file)
        {
            var clock = Stopwatch.StartNew();
            var lastAny = TimeSpan.Zero;
            var last = new Dictionary<int, TimeSpan>();
            var partial = "";
            long position = 0;
            var started = false;
            while (!_stop.IsCancellationRequested)
            {
                using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                {
                    stream.Position = position;
                    using var reader = new StreamReader(stream);
                    var text = partial + await reader.ReadToEndAsync();
                    position = stream.Length;
                    var lines = text.Split('\n');
                    partial = lines[^1];
                    var now = clock.Elapsed;
                    foreach (var line in lines[..^1])
                    {
                        var partition = int.Parse(line.AsSpan(0, line.IndexOf(' ')), CultureInfo.InvariantCulture);
                        // Gaps count from the first acknowledgement seen (the producer's start-up is not a gap).
                        if (started)
                        {
                            Track(partition, now - last.GetValueOrDefault(partition, lastAny));
                            _longestAny = Max(_longestAny, now - lastAny);
                        }
                        last[partition] = now;
                        lastAny = now;
                        started = true;
                    }
                }
                try
                {
                    await Task.Delay(50, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        private void Track(int partition, TimeSpan gap) => _longest[partition] = Max(_longest.GetValueOrDefault(partition), gap);

        private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

        public void Dispose()
        {
            _stop.Cancel();
            try
            {
                _loop.Wait();
            }
            catch (AggregateException)
            {
                // the watch failed; the test already has what it needs
            }
            _stop.Dispose();
        }
    }
}
