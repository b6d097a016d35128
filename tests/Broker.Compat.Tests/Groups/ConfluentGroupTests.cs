using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Groups;

/// <summary>
/// A confluent-kafka (librdkafka) consumer group of three members shares a 6-partition topic:
/// every record is consumed, each commit is synchronous, the committed offsets add up to the log,
/// and the group lists as Empty once its members closed.
/// </summary>
public sealed class ConfluentGroupTests
{
    private const string Script = """
import sys, time, threading
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bs = sys.argv[1]; topic = 'grp-smoke-%d' % int(time.time())
a = AdminClient({'bootstrap.servers': bs}); a.create_topics([NewTopic(topic, 6, 1)])['%s' % topic].result()
p = Producer({'bootstrap.servers': bs})
for i in range(600): p.produce(topic, value=str(i).encode(), partition=i % 6)
p.flush()
seen = []; lock = threading.Lock()
def run(n, stop):
    c = Consumer({'bootstrap.servers': bs, 'group.id': 'g-'+topic, 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000, 'enable.auto.commit': False})
    c.subscribe([topic])
    while not stop.is_set():
        m = c.poll(0.5)
        if m is None or m.error(): continue
        with lock: seen.append(int(m.value()))
        c.commit(m, asynchronous=False)
    c.close()
stop = threading.Event()
ts = [threading.Thread(target=run, args=(i, stop)) for i in range(3)]
[t.start() for t in ts]
deadline = time.time() + 40
while time.time() < deadline and len(set(seen)) < 600: time.sleep(0.5)
stop.set(); [t.join() for t in ts]
print('consumed', len(seen), 'distinct', len(set(seen)))
c = Consumer({'bootstrap.servers': bs, 'group.id': 'g-'+topic})
print('committed', sum(tp.offset for tp in c.committed([TopicPartition(topic, i) for i in range(6)], timeout=10)))
c.close()
gs = [g for g in a.list_groups(timeout=10) if g.id == 'g-'+topic]
print('listed', [(g.id, g.state, g.protocol_type, len(g.members)) for g in gs])
""";

    [Fact(Timeout = 240_000)]
    public async Task Three_member_group_consumes_every_record_once_and_commits()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0" },
        });
        var path = Path.Combine(Path.GetTempPath(), $"akkabroker-group-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(path, Script);
        try
        {
            var result = await ClientRunner.RunAsync(RepoPaths.Python, [path, broker.BootstrapServers], TimeSpan.FromSeconds(120));
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("distinct 600", result.Stdout);
            Assert.Contains("committed 600", result.Stdout);
            // ListGroups + DescribeGroups (librdkafka list_groups): the group, empty after every member closed.
            Assert.Contains("'Empty', 'consumer', 0)", result.Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
