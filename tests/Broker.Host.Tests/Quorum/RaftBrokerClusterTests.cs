using System.Diagnostics;
using System.Globalization;
using Broker.Actors.Raft;
using Broker.Host.Configuration;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Broker.Host.Tests.Quorum;

/// <summary>Whole broker nodes whose metadata log is the Raft quorum: PLAINTEXT and CONTROLLER listeners each.</summary>
public sealed class RaftBrokerClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("akkabroker-raftcluster-").FullName;
    private readonly Dictionary<int, BrokerNode?> _nodes = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static BrokerSettings Settings(string dir, int id, Dictionary<int, int> controllerPorts) => BrokerSettings.FromValues(new Dictionary<string, string?>
    {
        ["node.id"] = id.ToString(CultureInfo.InvariantCulture),
        ["process.roles"] = "broker,controller",
        ["controller.quorum.voters"] = string.Join(",", controllerPorts.Select(kv => $"{kv.Key}@127.0.0.1:{kv.Value}")),
        ["controller.listener.names"] = "CONTROLLER",
        ["listeners"] = $"PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:{controllerPorts[id]}",
        ["log.dirs"] = Path.Combine(dir, "node-" + id),
        ["offsets.topic.replication.factor"] = "1",
        ["controller.quorum.election.timeout.ms"] = "500",
        // As RaftSocketNode: no re-election because the loaded machine stalled a fetch (a dead leader's closed
        // ports make the followers stand at once).
        ["controller.quorum.fetch.timeout.ms"] = "5000",
        ["controller.quorum.request.timeout.ms"] = "2000",
        ["controller.quorum.append.linger.ms"] = "5",
    });

    /// <summary>A leader above <paramref name="aboveEpoch"/> that every running node follows in its epoch (as
    /// RaftQuorumSocketTests: a first leader may still be deposed while the nodes start one by one).</summary>
    private async Task<BrokerNode> LeaderAsync(int aboveEpoch = 0)
    {
        BrokerNode? leader = null;
        await Eventually.TrueAsync(() =>
        {
            var statuses = _nodes.Values.Where(n => n is not null).Select(n => (Node: n!, Status: n!.RaftQuorum?.Status.Current)).ToList();
            var lead = statuses.FirstOrDefault(s => s.Status is { Role: RaftRole.Leader } st && st.Epoch > aboveEpoch);
            leader = lead.Node;
            return lead.Status is { } ls && statuses.All(s => s.Status is { } st && st.Epoch == ls.Epoch && st.LeaderId == ls.NodeId);
        }, "a Raft leader every broker follows", Patience);
        return leader!;
    }

    private bool AllUnfenced(BrokerNode leader) =>
        _nodes.Keys.All(id => leader.Metadata.Current.Brokers.TryGetValue(id, out var b) && !b.Fenced);

    private static async Task CreateTopicAsync(BrokerNode leader, string name)
    {
        using var client = await WireClient.ConnectAsync(leader.Port);
        var created = await client.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest
        {
            Topics = [new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = 3, ReplicationFactor = 1 }],
            timeoutMs = 30000,
        }, 7);
        Assert.Equal(0, Assert.Single(created.Topics).ErrorCode);
    }

    [Fact]
    public async Task Three_combined_nodes_run_the_controller_on_the_raft_quorum_and_survive_losing_its_leader()
    {
        var ports = RaftSocketNode.FreePorts(3);
        var watch = Stopwatch.StartNew();
        foreach (var id in ports.Keys)
        {
            _nodes[id] = await BrokerNode.StartAsync(Settings(_dir, id, ports), FileTestLoggerProvider.ForNode(id) ?? NullLoggerFactory.Instance);
            Assert.Equal(ports[id], _nodes[id]!.ListenerPort("CONTROLLER"));
            Assert.NotEqual(ports[id], _nodes[id]!.Port); // clients get the PLAINTEXT listener
        }
        var leader = await LeaderAsync();
        output.WriteLine($"brokers: node {leader.Settings.NodeId} leads after {watch.ElapsedMilliseconds} ms");

        // The active controller (the quorum leader) creates a topic; every node's image learns it from the quorum.
        // Registered brokers are fenced until they have caught up; a topic is placed on unfenced ones only.
        await Eventually.TrueAsync(() => AllUnfenced(leader), "every broker registered and unfenced", Patience);
        await CreateTopicAsync(leader, "raft-one");
        foreach (var node in _nodes.Values)
        {
            await Eventually.TrueAsync(() => node!.MetadataPublisher.Current.Topic("raft-one") is { Partitions.Length: 3 }, $"node {node!.Settings.NodeId} sees raft-one", Patience);
        }

        // The leader goes away: another node takes over the quorum and the controller.
        var oldEpoch = leader.RaftQuorum!.Status.Current!.Epoch;
        var deadId = leader.Settings.NodeId;
        await leader.DisposeAsync();
        _nodes[deadId] = null;
        watch.Restart();
        var next = await LeaderAsync(oldEpoch);
        output.WriteLine($"brokers: node {next.Settings.NodeId} leads epoch {next.RaftQuorum!.Status.Current!.Epoch} {watch.ElapsedMilliseconds} ms after the leader stopped");
        await Eventually.TrueAsync(() => next.Metadata.Current.Brokers.ContainsKey(next.Settings.NodeId), "the new leader registered itself", Patience);
        await CreateTopicAsync(next, "raft-two");
        foreach (var node in _nodes.Values.Where(n => n is not null))
        {
            await Eventually.TrueAsync(() => node!.MetadataPublisher.Current.Topic("raft-two") is not null && node.MetadataPublisher.Current.Topic("raft-one") is not null,
                $"node {node!.Settings.NodeId} sees both topics", Patience);
        }

        // The old leader restarts from its files and follows.
        _nodes[deadId] = await BrokerNode.StartAsync(Settings(_dir, deadId, ports), FileTestLoggerProvider.ForNode(deadId) ?? NullLoggerFactory.Instance);
        await Eventually.TrueAsync(() => _nodes[deadId]!.MetadataPublisher.Current.Topic("raft-two") is not null, "the restarted node catches up", Patience);
    }
}
