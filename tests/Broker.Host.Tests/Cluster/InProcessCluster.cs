using Broker.Actors.Metadata;
using Broker.Host.Configuration;
using Broker.Host.Tests.Handlers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// N broker nodes in this process (ids 1..N), each with its own listener, log dirs, actor system and
/// controller, all following one <see cref="SharedMetadataQuorum"/> (until the Raft quorum replaces it).
/// Node 1 is elected first; <see cref="ElectController"/> moves the active controller. Brokers register
/// and heartbeat through their lifecycle managers (over the wire to another node's controller), and
/// <see cref="StartAsync"/> returns once every broker is registered and unfenced.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private readonly List<BrokerNode?> _nodes;
    private readonly IReadOnlyDictionary<string, string?>? _extra;

    private InProcessCluster(string dir, List<BrokerNode?> nodes, IReadOnlyDictionary<string, string?>? extra)
    {
        Dir = dir;
        _nodes = nodes;
        _extra = extra;
    }

    public string Dir { get; }

    /// <summary>AKKABROKER_TEST_LOG=1 prints the nodes' logs (debugging a cluster test).</summary>
    private static readonly Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory =
        Environment.GetEnvironmentVariable("AKKABROKER_TEST_LOG") == "1"
            ? Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Debug))
            : NullLoggerFactory.Instance;

    public SharedMetadataQuorum Quorum { get; } = new();

    public IReadOnlyList<BrokerNode?> Nodes => _nodes;

    public BrokerNode Node(int nodeId) => _nodes[nodeId - 1] ?? throw new InvalidOperationException($"node {nodeId} is stopped");

    /// <summary>The image as the first running node sees it.</summary>
    public MetadataImage Image => _nodes.First(n => n is not null)!.MetadataPublisher.Current;

    public static async Task<InProcessCluster> StartAsync(int count, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var dir = Directory.CreateTempSubdirectory("akkabroker-cluster-").FullName;
        var nodes = new List<BrokerNode?>();
        var cluster = new InProcessCluster(dir, nodes, extra);
        try
        {
            cluster.Quorum.Elect(1);
            nodes.AddRange(Enumerable.Repeat<BrokerNode?>(null, count));
            for (var id = 1; id <= count; id++)
            {
                await cluster.StartNodeAsync(id);
            }
            await cluster.WaitForImageAsync(image => Enumerable.Range(1, count).All(id => image.Brokers.TryGetValue(id, out var b) && !b.Fenced),
                "every broker registered and unfenced");
            // The image is published before the unfencing heartbeat's answer reaches its broker: until then the
            // broker's metadata lease is not renewed and it refuses produces (NOT_LEADER_OR_FOLLOWER).
            await Eventually.TrueAsync(() => nodes.All(n => n!.MetadataLease.IsValid), "every broker's metadata lease valid", TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (or restarts, on its old log dirs) node <paramref name="nodeId"/>.</summary>
    public async Task<BrokerNode> StartNodeAsync(int nodeId)
    {
        var settings = BrokerSettings.FromValues(Values(Dir, nodeId, _nodes.Count, _extra));
        var node = await BrokerNode.StartAsync(settings, LoggerFactory, Quorum.Join(nodeId), ControllerEndpoint);
        _nodes[nodeId - 1] = node;
        return node;
    }

    /// <summary>Starts a stopped node again on its data dirs (a new listener port, a new incarnation).</summary>
    public Task<BrokerNode> RestartNodeAsync(int nodeId) =>
        _nodes[nodeId - 1] is null ? StartNodeAsync(nodeId) : throw new InvalidOperationException($"node {nodeId} is running");

    /// <summary>Stops a node abruptly (no controlled shutdown): the controller fences it after the session timeout
    /// (or at once when <c>controller.broker.liveness.probe.interval.ms</c> is on: its listener is closed).</summary>
    public Task StopNodeAsync(int nodeId) => CrashNodeAsync(nodeId);

    /// <summary>Stops a node with a controlled shutdown (it asks the controller to move its leaderships first).</summary>
    public async Task ShutdownNodeAsync(int nodeId)
    {
        var node = Node(nodeId);
        _nodes[nodeId - 1] = null;
        await node.DisposeAsync();
    }

    /// <summary>Silences a node as a crash would: it stops heartbeating at once (no controlled shutdown),
    /// leaves the quorum and closes its listener.</summary>
    public async Task CrashNodeAsync(int nodeId)
    {
        var node = Node(nodeId);
        _nodes[nodeId - 1] = null;
        node.SkipControlledShutdown = true;
        await node.DisposeAsync();
    }

    /// <summary>Makes <paramref name="nodeId"/> the active controller (a new quorum epoch).</summary>
    public QuorumLeader ElectController(int nodeId) => Quorum.Elect(nodeId);

    public Task WaitForImageAsync(Func<MetadataImage, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => _nodes.Where(n => n is not null).All(n => condition(n!.MetadataPublisher.Current)), what, timeout ?? TimeSpan.FromSeconds(60));

    /// <summary>Metadata reaches the nodes asynchronously (as from a Raft leader): waits until every running
    /// node has the topic in its image and a local replica of each of its partitions it hosts, leading or
    /// following as that image says (a partition actor applies the image a moment after it starts).</summary>
    public Task WaitForTopicAsync(string topic) =>
        Eventually.TrueAsync(() => _nodes.Where(n => n is not null).All(n =>
            n!.MetadataPublisher.Current.Topic(topic) is { } t
            && t.Partitions.All(p => !p.Replicas.Contains(n.Settings.NodeId)
                || (n.Replicas.Get(topic, p.Partition)?.State is { } s && s.LeaderId == p.Leader && s.LeaderEpoch == p.LeaderEpoch
                    && s.IsLeader == (p.Leader == n.Settings.NodeId)))),
            $"every node knows topic {topic}", TimeSpan.FromSeconds(60));

    private (string Host, int Port)? ControllerEndpoint(int nodeId) =>
        nodeId >= 1 && nodeId <= _nodes.Count && _nodes[nodeId - 1] is { Port: > 0 } node ? ("127.0.0.1", node.Port) : null;

    private static Dictionary<string, string?> Values(string dir, int id, int count, IReadOnlyDictionary<string, string?>? extra)
    {
        var voters = string.Join(',', Enumerable.Range(1, count).Select(v => $"{v}@127.0.0.1:{9093 + v}"));
        var values = new Dictionary<string, string?>
        {
            ["node.id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["process.roles"] = "broker,controller",
            ["controller.quorum.voters"] = voters,
            ["log.dirs"] = Path.Combine(dir, "node-" + id),
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["offsets.topic.replication.factor"] = "1",
            ["broker.heartbeat.interval.ms"] = "200",
            // 10 s (Kafka's 9 s, a little more): the suite shares 2 cores with broker processes and other builds, and
            // a 3 s session fenced live brokers whose heartbeats stalled, moving leaderships and ISRs under the tests'
            // feet. A crashed or stopped node is fenced after it (or at once with the probe below).
            ["broker.session.timeout.ms"] = "10000",
            // A stopped node's ports close like a crashed process's, so the controller would fence it at once;
            // the tests of session fencing and lost ISRs need it fenced by its session. Tests of fast fencing turn it on.
            ["controller.broker.liveness.probe.interval.ms"] = "0",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            values[k] = v;
        }
        return values;
    }

    public Task<WireClient> ConnectAsync(int nodeId) => WireClient.ConnectAsync(Node(nodeId).Port);

    public async ValueTask DisposeAsync()
    {
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            if (_nodes[i] is { } node)
            {
                _nodes[i] = null;
                node.SkipControlledShutdown = true; // the whole cluster goes: nobody to hand leadership to
                await node.DisposeAsync();
            }
        }
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
