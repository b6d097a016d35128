using Broker.Actors.Group;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Groups;

/// <summary>
/// A static member's group across a broker kill -9: __consumer_offsets holds GroupMetadataKey/Value
/// records that decode with Kafka's formats (member id, instance id, assignment), and after the
/// restart the member comes back to the same assignment and its committed offsets.
/// </summary>
public sealed class GroupMetadataPersistenceTests
{
    private const string Script = """
import sys, time, binascii
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bs, phase, topic = sys.argv[1], sys.argv[2], sys.argv[3]
group = 'g-' + topic
if phase == 'first':
    a = AdminClient({'bootstrap.servers': bs}); a.create_topics([NewTopic(topic, 4, 1)])[topic].result()
c = Consumer({'bootstrap.servers': bs, 'group.id': group, 'group.instance.id': 'static-1', 'enable.auto.commit': False, 'session.timeout.ms': 30000})
got = []
c.subscribe([topic], on_assign=lambda cons, parts: got.extend(p.partition for p in parts))
deadline = time.time() + 60
while time.time() < deadline and not got: c.poll(0.2)
print('assigned', sorted(got))
if phase == 'first':
    c.commit(offsets=[TopicPartition(topic, q, 3 + q) for q in range(4)], asynchronous=False)
print('committed', sorted((tp.partition, tp.offset) for tp in c.committed([TopicPartition(topic, q) for q in range(4)], timeout=20)))
if phase == 'second':
    raw = Consumer({'bootstrap.servers': bs, 'group.id': 'raw-' + topic, 'enable.auto.commit': False})
    raw.assign([TopicPartition('__consumer_offsets', q, 0) for q in range(3)])
    deadline = time.time() + 15
    while time.time() < deadline:
        m = raw.poll(0.5)
        if m is None or m.error(): continue
        if m.key()[:2] == b'\x00\x02' and group.encode() in m.key() and m.value() is not None:
            print('raw', binascii.hexlify(m.key()).decode(), binascii.hexlify(m.value()).decode())
    raw.close()
    c.close()
else:
    sys.stdout.flush()
    time.sleep(600)
""";

    [Fact(Timeout = 300_000)]
    public async Task Static_member_gets_its_assignment_and_offsets_back_after_a_broker_kill()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0", ["offsets.topic.num.partitions"] = "3" },
        });
        var path = Path.Combine(Path.GetTempPath(), $"akkabroker-gmeta-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(path, Script);
        var topic = $"gmeta-{Guid.NewGuid():N}"[..18];
        try
        {
            await using var first = ClientProcess.Start("first", RepoPaths.Python, [path, broker.BootstrapServers, "first", topic]);
            await GroupMembers.UntilAsync(() => first.Output.Contains("committed [", StringComparison.Ordinal), "the static member assigned and committed", [first]);
            await broker.RestartAsync(crash: true);
            await first.Kill9Async();

            var second = await ClientRunner.RunAsync(RepoPaths.Python, [path, broker.BootstrapServers, "second", topic], TimeSpan.FromSeconds(120));
            Assert.True(second.ExitCode == 0, second.ToString());
            Assert.Contains("assigned [0, 1, 2, 3]", second.Stdout);
            Assert.Contains("committed [(0, 3), (1, 4), (2, 5), (3, 6)]", second.Stdout);
            var records = second.Stdout.Split('\n').Where(l => l.StartsWith("raw ", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(records);
            var last = records[^1].Trim().Split(' ');
            Assert.Equal($"g-{topic}", OffsetsTopicRecords.ReadGroupMetadataKey(Convert.FromHexString(last[1])).group);
            var value = OffsetsTopicRecords.ReadGroupMetadataValue(Convert.FromHexString(last[2]));
            Assert.Equal(("consumer", "range"), (value.protocolType, value.protocol));
            var member = Assert.Single(value.members);
            Assert.Equal("static-1", member.groupInstanceId);
            Assert.Equal(value.leader, member.memberId);
            Assert.True(member.assignment.Length > 0 && member.subscription.Length > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
