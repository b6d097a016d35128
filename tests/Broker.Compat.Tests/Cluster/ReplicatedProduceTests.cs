using System.Globalization;
using Broker.Compat.Tests.Harness;
using Broker.Host;
using Broker.Host.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// A real client against a replicated topic: confluent-kafka (librdkafka; idempotent, acks=all, 5 in
/// flight) produces to a topic of replication factor 3 on three brokers (in this process, over one shared
/// metadata log, real sockets), while a follower is stopped mid-stream and leaves the ISR. Every
/// record is acknowledged, kcat reads them all once in order from the leader, and the replicas left
/// in the ISR hold byte-identical logs.
/// </summary>
public sealed class ReplicatedProduceTests
{
    [Fact(Timeout = 240_000)]
    public async Task Confluent_acks_all_to_a_replication_factor_3_topic_survives_a_stopped_follower()
    {
        var dir = Directory.CreateTempSubdirectory("akkabroker-repl-compat-").FullName;
        var nodes = new BrokerNode?[3];
        // One in-memory metadata log for the three nodes, node 1 its leader (until the Raft quorum replaces it).
        var quorum = new Broker.Actors.Metadata.SharedMetadataQuorum();
        quorum.Elect(1);
        try
        {
            for (var id = 1; id <= 3; id++)
            {
                nodes[id - 1] = await BrokerNode.StartAsync(BrokerSettings.FromValues(new Dictionary<string, string?>
                {
                    ["node.id"] = I(id),
                    ["process.roles"] = "broker,controller",
                    ["controller.quorum.voters"] = "1@127.0.0.1:9093,2@127.0.0.1:9094,3@127.0.0.1:9095",
                    ["log.dirs"] = Path.Combine(dir, "node-" + id),
                    ["listeners"] = "PLAINTEXT://127.0.0.1:0",
                    ["offsets.topic.replication.factor"] = "1",
                    ["replica.lag.time.max.ms"] = "2000",
                }), NullLoggerFactory.Instance, quorum.Join(id), c => nodes[c - 1] is { } n ? ("127.0.0.1", n.Port) : null);
            }
            var deadlineRegistered = DateTime.UtcNow.AddSeconds(60);
            while (nodes[0]!.Metadata.Current.Brokers.Values.Count(b => !b.Fenced) < 3 && DateTime.UtcNow < deadlineRegistered)
            {
                await Task.Delay(50);
            }
            var bootstrap = string.Join(',', nodes.Select(n => "127.0.0.1:" + I(n!.Port)));
            var admin = new ClientScripts(CompatClient.ConfluentKafka, bootstrap, TimeSpan.FromSeconds(60));
            (await admin.RunAsync("create-topic", "--topic", "replicated", "--partitions", "1", "--replication-factor", "3",
                "--config", "min.insync.replicas=2")).EnsureSuccess();
            var partition = nodes[0]!.Metadata.Current.Topic("replicated")!.Partitions[0];
            Assert.Equal(3, partition.Replicas.Length);
            var leader = partition.Leader;
            // A follower that does not host the shared controller (node 1).
            var victim = partition.Replicas.First(r => r != leader && r != 1);

            const int count = 6_000;
            var producing = ClientRunner.PythonAsync("idempotent_producer.py",
                ["--bootstrap", bootstrap, "--topic", "replicated", "--count", I(count), "--per-second", "2000", "--timeout-ms", "120000"],
                TimeSpan.FromSeconds(180));
            var leaderLog = () => nodes[leader - 1]!.Replicas.Get("replicated", 0)!.Log!;
            while (leaderLog().HighWatermark < count / 3 && !producing.IsCompleted)
            {
                await Task.Delay(50);
            }
            await nodes[victim - 1]!.DisposeAsync();
            nodes[victim - 1] = null;
            var result = (await producing).EnsureSuccess();
            Assert.Contains($"\"delivered\": {count}", result.Stdout);

            var survivors = nodes.Where(n => n is not null).Select(n => n!.Replicas.Get("replicated", 0)!.Log!).ToList();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (survivors.Any(l => l.HighWatermark != count) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.All(survivors, l => Assert.Equal(count, l.HighWatermark));
            Assert.DoesNotContain(victim, nodes[0]!.Metadata.Current.Topic("replicated")!.Partitions[0].Isr);
            var bytes = survivors.Select(l =>
            {
                using var read = l.Read(0, int.MaxValue / 2, l.LogEndOffset);
                return read.Records.ToArray();
            }).ToList();
            Assert.All(bytes, b => Assert.Equal(bytes[0], b));

            var records = await new Kcat("127.0.0.1:" + I(nodes[leader - 1]!.Port), TimeSpan.FromSeconds(90)).ConsumeAsync("replicated", 0, 0, count);
            Assert.Equal(Enumerable.Range(0, count).Select(I), records.Select(r => r.Value));
        }
        finally
        {
            for (var i = nodes.Length - 1; i >= 0; i--)
            {
                if (nodes[i] is { } node)
                {
                    await node.DisposeAsync();
                }
            }
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
