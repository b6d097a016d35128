using Broker.Host.Configuration;
using Broker.Host.Tests.Handlers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// N broker nodes in this process, each with its own listener, log dirs and actor system, sharing the
/// first node's controller (until the Raft quorum replaces it). Node ids are 1..N.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private readonly List<BrokerNode?> _nodes;

    private readonly IReadOnlyDictionary<string, string?>? _extra;

    private InProcessCluster(string dir, List<BrokerNode?> nodes, IReadOnlyDictionary<string, string?>? extra = null)
    {
        Dir = dir;
        _nodes = nodes;
        _extra = extra;
    }

    public string Dir { get; }

    public IReadOnlyList<BrokerNode?> Nodes => _nodes;

    public BrokerNode Node(int nodeId) => _nodes[nodeId - 1] ?? throw new InvalidOperationException($"node {nodeId} is stopped");

    public static async Task<InProcessCluster> StartAsync(int count, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var dir = Directory.CreateTempSubdirectory("akkabroker-cluster-").FullName;
        var nodes = new List<BrokerNode?>();
        var cluster = new InProcessCluster(dir, nodes, extra);
        try
        {
            for (var id = 1; id <= count; id++)
            {
                var settings = BrokerSettings.FromValues(Values(dir, id, extra));
                nodes.Add(await BrokerNode.StartAsync(settings, NullLoggerFactory.Instance, nodes.Count == 0 ? null : nodes[0]!.Controller));
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static Dictionary<string, string?> Values(string dir, int id, IReadOnlyDictionary<string, string?>? extra)
    {
        var values = new Dictionary<string, string?>
        {
            ["node.id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["process.roles"] = id == 1 ? "broker,controller" : "broker",
            ["controller.quorum.voters"] = "1@127.0.0.1:9093",
            ["log.dirs"] = Path.Combine(dir, "node-" + id),
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["offsets.topic.replication.factor"] = "1",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            values[k] = v;
        }
        return values;
    }

    /// <summary>Stops a node (not node 1: the others borrow its controller); its data stays for a restart.</summary>
    public async Task StopNodeAsync(int nodeId)
    {
        if (nodeId == 1)
        {
            throw new InvalidOperationException("node 1 hosts the shared controller");
        }
        if (_nodes[nodeId - 1] is { } node)
        {
            _nodes[nodeId - 1] = null;
            await node.DisposeAsync();
        }
    }

    /// <summary>Starts a stopped node again on its data dirs (a new listener port, re-registered).</summary>
    public async Task RestartNodeAsync(int nodeId)
    {
        if (_nodes[nodeId - 1] is not null)
        {
            throw new InvalidOperationException($"node {nodeId} is running");
        }
        var settings = BrokerSettings.FromValues(Values(Dir, nodeId, _extra));
        _nodes[nodeId - 1] = await BrokerNode.StartAsync(settings, NullLoggerFactory.Instance, _nodes[0]!.Controller);
    }

    public Task<WireClient> ConnectAsync(int nodeId) => WireClient.ConnectAsync(Node(nodeId).Port);

    public async ValueTask DisposeAsync()
    {
        // Later nodes borrow the first node's controller: stop them first.
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            if (_nodes[i] is { } node)
            {
                await node.DisposeAsync();
                _nodes[i] = null;
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
