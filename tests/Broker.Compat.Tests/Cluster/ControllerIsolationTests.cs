using System.Diagnostics;
using System.Globalization;
using System.Text;
using Broker.Compat.Tests.Harness;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;
using Xunit.Abstractions;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// The active controller of a combined-mode cluster, which also leads partitions, is paused (SIGSTOP) while
/// confluent-kafka streams acks=all records; the others elect a new controller and new leaders and fence it. Once
/// resumed (SIGCONT) its own controller still believes it leads the quorum until it hears of the new epoch: without
/// the Raft leader lease that controller answered its own broker's heartbeats unfenced, renewing the broker's
/// metadata lease, and the broker accepted acks=1 writes as the leader of its stale image (acknowledged, then cut
/// off its log as it rejoined as a follower). Here every acks=1 write sent to it in the seconds after SIGCONT is
/// refused, it rejoins as a follower, and every acknowledged record of the stream is read back at its offset.
/// </summary>
[Collection(ClusterProcessesCollection.Name)]
public sealed class ControllerIsolationTests(ITestOutputHelper output)
{
    private const string Topic = "controller-isolation";
    private const int PartitionCount = 6;
    private const int Connections = 4;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Rejoin = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan AfterResume = TimeSpan.FromSeconds(4);

    [Fact(Timeout = 420_000)]
    public async Task A_resumed_active_controller_acknowledges_no_write_from_its_stale_image()
    {
        await using var cluster = await LocalCluster.StartAsync(3);
        await ClusterSetup.WaitForMembersUpAsync(cluster);
        await ClusterSetup.CreateTopicAsync(cluster, Topic, PartitionCount);

        await using var producer = StreamingProducer.Start(cluster, Topic, PartitionCount, ratePerSecond: 300);
        await producer.WaitForMoreAcksAsync(300, Step, () => cluster.Logs(60));

        var members = (await ClusterWatch.MembersAsync(cluster, 1))!;
        var victim = members.ControllerId;
        var state = (await ClusterWatch.PartitionsAsync(cluster, victim, Topic))!;
        var led = state.Partitions.Where(p => p.Leader == victim).Select(p => p.Partition).ToArray();
        Assert.True(led.Length > 0, $"the active controller {victim} leads no partition of {Topic}: {state}");
        var observer = victim == 1 ? 2 : 1;
        var what = $"active controller {victim} (leader of {string.Join(',', led.Select(p => "p" + p))}; {members}) paused";

        // Connections opened beforehand: the writes after SIGCONT need no handshake with the resumed node.
        var clients = new List<RawKafkaClient>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                clients.Add(await RawKafkaClient.ConnectAsync(cluster.KafkaPort(victim)));
            }
            await cluster.PauseAsync(victim);

            var moved = await ClusterWatch.WaitForAsync(cluster, $"{what}: a new controller", Step,
                () => ClusterWatch.MembersAsync(cluster, observer), m => m.ControllerId > 0 && m.ControllerId != victim);
            await ClusterWatch.WaitForAsync(cluster, $"{what}: new leaders without it", Step,
                () => ClusterWatch.PartitionsAsync(cluster, observer, Topic),
                s => led.All(p => s[p].Leader > 0 && s[p].Leader != victim && s[p].LeaderEpoch > state[p].LeaderEpoch));
            await ClusterWatch.WaitForAsync(cluster, $"{what}: fenced in /cluster/members", Step,
                () => ClusterWatch.MembersAsync(cluster, observer), m => m.Status.GetValueOrDefault(victim) == "fenced");
            await producer.WaitForMoreAcksAsync(200, Step, () => $"{what}\n{cluster.Logs(60)}");

            // SIGCONT, then acks=1 writes to the partitions it led, as fast as it answers, for a few seconds: the
            // window in which its stale controller could renew its broker's lease before it learns of the new epoch.
            await cluster.ResumeAsync(victim);
            what = $"active controller {victim} resumed ({moved})";
            var clock = Stopwatch.StartNew();
            var writers = clients.Select((client, i) => WriteUntilAsync(client, led, i, clock, AfterResume)).ToArray();
            var outcomes = (await Task.WhenAll(writers)).SelectMany(o => o).ToList();
            var acknowledged = outcomes.Where(o => o.Error == nameof(ErrorCode.None)).ToList();
            output.WriteLine($"{what}: acks=1 writes in the {AfterResume.TotalSeconds} s after SIGCONT: {Summarize(outcomes)}");
            Assert.True(acknowledged.Count == 0,
                $"{what}: acknowledged acks=1 writes from its stale image: {string.Join(", ", acknowledged)}\n" +
                $"all: {Summarize(outcomes)}\n{cluster.Logs(80)}");
            Assert.True(outcomes.Any(o => !o.Error.StartsWith("no answer", StringComparison.Ordinal)),
                $"{what}: it answered none of the writes sent after SIGCONT: {Summarize(outcomes)}");

            await ClusterSetup.WaitForRejoinAsFollowerAsync(cluster, producer, Topic, what, victim, led, observer);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        var summary = await producer.StopAsync();
        Assert.True(summary.GetProperty("failed").GetInt32() == 0,
            $"controller isolation: unacknowledged deliveries {summary}\n{producer.StderrTail(80)}\n{cluster.Logs(80)}");
        // No acknowledged record lost, and none of the writes above in the log: the verifier fails on a foreign record.
        await ClusterSetup.VerifyAsync(cluster, Topic, PartitionCount, producer, summary.GetProperty("acked").GetInt32());
    }

    private readonly record struct Outcome(long AtMs, int Partition, string Error)
    {
        public override string ToString() => $"p{Partition}@{AtMs}ms:{Error}";
    }

    private static string Summarize(List<Outcome> outcomes) =>
        string.Join(", ", outcomes.GroupBy(o => o.Error).Select(g => $"{g.Key} x{g.Count()} (first at {g.Min(o => o.AtMs)} ms)"));

    /// <summary>acks=1 writes over one connection, one at a time, to each of <paramref name="partitions"/> in turn.</summary>
    private static async Task<List<Outcome>> WriteUntilAsync(RawKafkaClient client, int[] partitions, int writer, Stopwatch clock, TimeSpan until)
    {
        var outcomes = new List<Outcome>();
        for (var n = 0; clock.Elapsed < until; n++)
        {
            var partition = partitions[n % partitions.Length];
            var error = await ProduceAsync(client, partition, $"resumed-{writer.ToString(CultureInfo.InvariantCulture)}-{n.ToString(CultureInfo.InvariantCulture)}");
            outcomes.Add(new Outcome(clock.ElapsedMilliseconds, partition, error));
            if (error.StartsWith("no answer", StringComparison.Ordinal))
            {
                break; // the connection is gone
            }
        }
        return outcomes;
    }

    private static async Task<string> ProduceAsync(RawKafkaClient client, int partition, string value)
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes(value));
        var request = new ProduceRequest
        {
            Acks = 1,
            TimeoutMs = 15_000,
            TopicData = [new ProduceRequest.TopicProduceData
            {
                Name = Topic,
                PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = builder.ToArray() }],
            }],
        };
        try
        {
            var response = await client.SendAsync<ProduceResponse>(ApiKey.Produce, 9, request, TimeSpan.FromSeconds(30));
            return ((ErrorCode)response.Responses.Single().PartitionResponses.Single().ErrorCode).ToString();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return $"no answer ({e.GetType().Name})";
        }
    }
}
