using System.Globalization;
using System.Text;
using Broker.Compat.Tests.Harness;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// A partition leader cut off from the cluster (SIGSTOP through cluster.sh pause: its sockets stay open, it
/// answers nothing) while confluent-kafka streams acks=all records. The others fence it and elect new leaders;
/// acks=all writes sent straight to it while it is isolated are never acknowledged (once resumed it learns it
/// was deposed) and never reach the log; once resumed its first Metadata answer does not name it leader (its metadata
/// lease expired while it was stopped), it rejoins as a follower and every ISR is whole again. The stream delivers
/// every record, and a consumer finds each at its offset, in order, none twice.
/// </summary>
[Collection(ClusterProcessesCollection.Name)]
public sealed class ClusterIsolationTests
{
    private const string Topic = "isolation";
    private const int PartitionCount = 3;
    private const int PinnedWrites = 6;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Rejoin = TimeSpan.FromSeconds(90);

    [Fact(Timeout = 420_000)]
    public async Task An_isolated_leader_acknowledges_nothing_and_rejoins_as_follower_without_losing_acknowledged_writes()
    {
        await using var cluster = await LocalCluster.StartAsync(3);
        await ClusterSetup.WaitForMembersUpAsync(cluster);
        await ClusterSetup.CreateTopicAsync(cluster, Topic, PartitionCount);

        await using var producer = StreamingProducer.Start(cluster, Topic, PartitionCount, ratePerSecond: 300);
        await producer.WaitForMoreAcksAsync(300, Step, () => cluster.Logs(60));

        // A partition leader that is not the active controller, so what is isolated is the data path alone.
        var members = (await ClusterWatch.MembersAsync(cluster, 1))!;
        var state = (await ClusterWatch.PartitionsAsync(cluster, 1, Topic))!;
        var target = state.Partitions.FirstOrDefault(p => p.Leader != members.ControllerId) ?? state.Partitions[0];
        var victim = target.Leader;
        var led = state.Partitions.Where(p => p.Leader == victim).Select(p => p.Partition).ToArray();
        var observer = victim == 1 ? 2 : 1;
        var what = $"node {victim} (leader of {string.Join(',', led.Select(p => "p" + p))}; {members}) paused";

        // Connections to the leader opened beforehand: once paused, its kernel still takes our bytes.
        var pinned = new List<RawKafkaClient>();
        try
        {
            for (var i = 0; i < PinnedWrites; i++)
            {
                pinned.Add(await RawKafkaClient.ConnectAsync(cluster.KafkaPort(victim)));
            }
            var writes = new Task<string>[PinnedWrites];
            var asker = await RawKafkaClient.ConnectAsync(cluster.KafkaPort(victim));
            await cluster.PauseAsync(victim);
            for (var i = 0; i < PinnedWrites; i++)
            {
                writes[i] = PinnedProduceAsync(pinned[i], target.Partition, i);
            }
            pinned.Add(asker); // disposed with the others

            await ClusterWatch.WaitForAsync(cluster, $"{what}: new leaders without it", Step,
                () => ClusterWatch.PartitionsAsync(cluster, observer, Topic),
                s => led.All(p => s[p].Leader > 0 && s[p].Leader != victim && s[p].LeaderEpoch > state[p].LeaderEpoch));
            await ClusterWatch.WaitForAsync(cluster, $"{what}: fenced in /cluster/members", Step,
                () => ClusterWatch.MembersAsync(cluster, observer), m => m.Status.GetValueOrDefault(victim) == "fenced");
            var table = await ClusterWatch.BrokerCtlShowAsync(cluster, observer);
            Assert.True(ClusterWatch.CtlStatus(table, victim) == "fenced", $"{what}: brokerctl cluster show:\n{table}");
            await producer.WaitForMoreAcksAsync(200, Step, () => $"{what}\n{cluster.Logs(60)}");

            // A Metadata request waiting in its socket: the first thing it answers once resumed, while its image
            // still names it leader. Its metadata lease has expired, so it must not say so.
            var firstAnswer = asker.SendAsync<MetadataResponse>(ApiKey.Metadata, 9,
                new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = Topic }] }, TimeSpan.FromSeconds(150));
            await cluster.ResumeAsync(victim);
            what = $"node {victim} resumed";
            var claimed = (await firstAnswer).Topics.Single().Partitions.Where(p => led.Contains(p.PartitionIndex) && p.LeaderId == victim).ToList();
            Assert.True(claimed.Count == 0,
                $"{what}: its first Metadata answer still names it leader of {string.Join(',', claimed.Select(p => $"p{p.PartitionIndex} (epoch {p.LeaderEpoch})"))}\n{cluster.Logs(60)}");
            var outcomes = await Task.WhenAll(writes);
            Assert.True(outcomes.All(o => o != ErrorCode.None.ToString()),
                $"{what}: the deposed leader acknowledged acks=all writes sent while it was isolated: {string.Join(", ", outcomes)}\n{cluster.Logs(60)}");

            await ClusterSetup.WaitForRejoinAsFollowerAsync(cluster, producer, Topic, what, victim, led, observer);
        }
        finally
        {
            pinned.ForEach(c => c.Dispose());
        }

        var summary = await producer.StopAsync();
        // Every record is delivered, not only the acknowledged ones kept: a resumed deposed leader must not send
        // librdkafka (2.0.2: no KIP-320 epoch check of Metadata) back to itself from its stale image (its metadata
        // lease, BrokerMetadataLease, has expired; Metadata holds or stops naming it leader until it is renewed).
        Assert.True(summary.GetProperty("failed").GetInt32() == 0,
            $"isolation: unacknowledged deliveries {summary}\n{producer.StderrTail(80)}\n{cluster.Logs(80)}");
        // Also proves the isolated writes are nowhere in the log: the verifier fails on any record the stream did not write.
        await ClusterSetup.VerifyAsync(cluster, Topic, PartitionCount, producer, summary.GetProperty("acked").GetInt32());
    }

    /// <summary>One acks=all produce straight to the isolated node; its error code, or why no answer came.</summary>
    private static async Task<string> PinnedProduceAsync(RawKafkaClient client, int partition, int index)
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes($"isolated-{index.ToString(CultureInfo.InvariantCulture)}"));
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 15_000,
            TopicData = [new ProduceRequest.TopicProduceData
            {
                Name = Topic,
                PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = builder.ToArray() }],
            }],
        };
        try
        {
            var response = await client.SendAsync<ProduceResponse>(ApiKey.Produce, 9, request, TimeSpan.FromSeconds(150));
            return ((ErrorCode)response.Responses.Single().PartitionResponses.Single().ErrorCode).ToString();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            return $"no answer ({e.GetType().Name})";
        }
    }
}
