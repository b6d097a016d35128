using Broker.Actors.Group;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Groups;

/// <summary>
/// Committed offsets live in __consumer_offsets: after a broker kill -9 and restart on the same data
/// folder, confluent-kafka and kafka-python see the committed offsets and a new member of the group
/// resumes exactly there; the raw records of __consumer_offsets decode with Kafka's coordinator formats.
/// </summary>
public sealed class OffsetPersistenceTests
{
    private const string Script = """
import sys, time, binascii
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bs, phase, topic = sys.argv[1], sys.argv[2], sys.argv[3]
group = 'g-' + topic
want = {0: 7, 1: 13, 2: 0}
if phase == 'commit':
    a = AdminClient({'bootstrap.servers': bs}); a.create_topics([NewTopic(topic, 3, 1)])[topic].result()
    p = Producer({'bootstrap.servers': bs})
    for i in range(60): p.produce(topic, value=('%d-%d' % (i % 3, i // 3)).encode(), partition=i % 3)
    p.flush()
    c = Consumer({'bootstrap.servers': bs, 'group.id': group, 'enable.auto.commit': False})
    c.commit(offsets=[TopicPartition(topic, q, o) for q, o in want.items()], asynchronous=False)
    print('committed-before', sorted((tp.partition, tp.offset) for tp in c.committed([TopicPartition(topic, q) for q in range(3)], timeout=10)))
    c.close()
elif phase == 'resume':
    c = Consumer({'bootstrap.servers': bs, 'group.id': group, 'enable.auto.commit': False, 'auto.offset.reset': 'latest'})
    print('committed-after', sorted((tp.partition, tp.offset) for tp in c.committed([TopicPartition(topic, q) for q in range(3)], timeout=20)))
    c.subscribe([topic])
    first = {}
    deadline = time.time() + 60
    while time.time() < deadline and len(first) < 3:
        m = c.poll(0.5)
        if m is None or m.error(): continue
        first.setdefault(m.partition(), m.offset())
    print('first', sorted(first.items()))
    c.close()
    from kafka import KafkaConsumer, TopicPartition as KTP
    k = KafkaConsumer(bootstrap_servers=bs, group_id=group, enable_auto_commit=False)
    print('kafka-python', sorted((q, k.committed(KTP(topic, q))) for q in range(3)))
    k.close()
    raw = Consumer({'bootstrap.servers': bs, 'group.id': 'raw-' + topic, 'enable.auto.commit': False})
    raw.assign([TopicPartition('__consumer_offsets', q, 0) for q in range(3)])
    n = 0; deadline = time.time() + 20
    while time.time() < deadline and n < 3:
        m = raw.poll(0.5)
        if m is None or m.error(): continue
        if m.key() is None or m.value() is None: continue
        if group.encode() not in m.key(): continue
        print('raw', binascii.hexlify(m.key()).decode(), binascii.hexlify(m.value()).decode())
        n += 1
    raw.close()
""";

    [Fact(Timeout = 300_000)]
    public async Task Committed_offsets_survive_a_broker_kill_and_decode_with_kafkas_formats()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string>
            {
                ["group.initial.rebalance.delay.ms"] = "0",
                ["offsets.topic.num.partitions"] = "3",
            },
        });
        var path = Path.Combine(Path.GetTempPath(), $"akkabroker-offsets-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(path, Script);
        var topic = $"persist-{Guid.NewGuid():N}"[..20];
        try
        {
            var commit = await ClientRunner.RunAsync(RepoPaths.Python, [path, broker.BootstrapServers, "commit", topic], TimeSpan.FromSeconds(90));
            Assert.True(commit.ExitCode == 0, commit.ToString());
            Assert.Contains("committed-before [(0, 7), (1, 13), (2, 0)]", commit.Stdout);

            await broker.RestartAsync(crash: true);

            var resume = await ClientRunner.RunAsync(RepoPaths.Python, [path, broker.BootstrapServers, "resume", topic], TimeSpan.FromSeconds(150));
            Assert.True(resume.ExitCode == 0, resume.ToString());
            Assert.Contains("committed-after [(0, 7), (1, 13), (2, 0)]", resume.Stdout);
            // auto.offset.reset=latest: only the committed offsets can make the new member start there.
            Assert.Contains("first [(0, 7), (1, 13), (2, 0)]", resume.Stdout);
            Assert.Contains("kafka-python [(0, 7), (1, 13), (2, 0)]", resume.Stdout);

            var decoded = new Dictionary<int, long>();
            foreach (var line in resume.Stdout.Split('\n').Where(l => l.StartsWith("raw ", StringComparison.Ordinal)))
            {
                var parts = line.Trim().Split(' ');
                var keyBytes = Convert.FromHexString(parts[1]);
                var valueBytes = Convert.FromHexString(parts[2]);
                Assert.Equal(1, (keyBytes[0] << 8) | keyBytes[1]);
                Assert.Equal(3, (valueBytes[0] << 8) | valueBytes[1]);
                var key = OffsetsTopicRecords.ReadOffsetCommitKey(keyBytes);
                Assert.NotNull(key);
                Assert.Equal($"g-{topic}", key.group);
                Assert.Equal(topic, key.topic);
                decoded[key.partition] = OffsetsTopicRecords.ReadOffsetCommitValue(valueBytes).offset;
            }
            Assert.Equal(new Dictionary<int, long> { [0] = 7, [1] = 13, [2] = 0 }, decoded);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
