using System.Net;
using System.Net.Sockets;
using Broker.Actors.Kernel;
using Broker.Actors.Metadata;
using Broker.Actors.Raft;
using Broker.Host.Handlers;
using Broker.Host.Network;
using Broker.Host.Quorum;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Quorum;

/// <summary>Keeps what a metadata quorum delivered on one node, for assertions from the test thread.</summary>
internal sealed class RecordingMetadataListener : IMetadataListener
{
    private readonly object _lock = new();
    private readonly List<(long Offset, int Epoch, IReadOnlyList<IKafkaMessage> Records)> _batches = new();
    private readonly List<(long EndOffset, IReadOnlyList<IKafkaMessage> Records)> _snapshots = new();

    public (long Offset, int Epoch, IReadOnlyList<IKafkaMessage> Records)[] Batches { get { lock (_lock) { return [.. _batches]; } } }

    public (long EndOffset, IReadOnlyList<IKafkaMessage> Records)[] Snapshots { get { lock (_lock) { return [.. _snapshots]; } } }

    public QuorumLeader Leader { get; private set; } = QuorumLeader.Unknown;

    public void OnCommitted(long lastOffset, int epoch, IReadOnlyList<IKafkaMessage> records)
    {
        lock (_lock)
        {
            if (_batches.Count > 0 && _batches[^1].Offset >= lastOffset)
            {
                throw new InvalidOperationException($"out of order: {_batches[^1].Offset} then {lastOffset}");
            }
            _batches.Add((lastOffset, epoch, records));
        }
    }

    public void OnSnapshot(long endOffset, IReadOnlyList<IKafkaMessage> records)
    {
        lock (_lock)
        {
            _snapshots.Add((endOffset, records));
            _batches.Clear(); // the image is rebuilt from the snapshot alone
        }
    }

    public void OnLeaderChange(QuorumLeader leader) => Leader = leader;

    /// <summary>Topic names created so far: from the last snapshot, then the batches after it.</summary>
    public List<string> TopicNames()
    {
        lock (_lock)
        {
            var names = new List<string>();
            if (_snapshots.Count > 0)
            {
                names.AddRange(_snapshots[^1].Records.OfType<Broker.Protocol.Metadata.TopicRecord>().Select(t => t.Name));
            }
            names.AddRange(_batches.SelectMany(b => b.Records).OfType<Broker.Protocol.Metadata.TopicRecord>().Select(t => t.Name));
            return names;
        }
    }
}

/// <summary>
/// One quorum member over real sockets: its own actor system, a <see cref="RaftMetadataQuorum"/> on files
/// under <c>dir/node-N</c>, a listener serving the KRaft APIs and the Kafka-protocol transport to the voters.
/// </summary>
internal sealed class RaftSocketNode : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly KafkaRaftTransport _transport;
    private BrokerServer? _server;

    private RaftSocketNode(int id, ActorSystem system, KafkaRaftTransport transport, RaftMetadataQuorum quorum, RecordingMetadataListener listener)
    {
        Id = id;
        _system = system;
        _transport = transport;
        Quorum = quorum;
        Listener = listener;
    }

    public int Id { get; }

    public RaftMetadataQuorum Quorum { get; }

    public RecordingMetadataListener Listener { get; }

    public int Port => _server?.Port ?? -1;

    public RaftRole Role => Quorum.Status.Current?.Role ?? RaftRole.Unattached;

    public static async Task<RaftSocketNode> StartAsync(int id, IReadOnlyDictionary<int, int> voterPorts, string dir, long snapshotEveryBytes = 1L << 30, int listenPort = 0)
    {
        var voters = voterPorts.ToDictionary(kv => kv.Key, kv => ("127.0.0.1", kv.Value));
        var config = new RaftConfig(id, [.. voterPorts.Keys.Order()])
        {
            ElectionTimeoutMs = 500,
            ElectionBackoffMaxMs = 500,
            // Far above a stall of a loaded machine (2 shared cores; all members live in this one process), so the
            // leader stays put while a test talks to it: 1.5 s re-elected mid-test. A dead leader is still replaced
            // at once: its closed port makes the followers stand (RaftCore.LeaderGone), not this timeout.
            FetchTimeoutMs = 5000,
            RequestTimeoutMs = 2000,
            FetchMaxWaitMs = 300,
            AppendLingerMs = 2,
            SnapshotChunkBytes = 256, // several FetchSnapshot round trips even for a small image
        };
        var system = ActorSystem.Create($"raft-node-{id}", FileTestLoggerProvider.ForNode(id));
        var transport = new KafkaRaftTransport(id, voters, TimeSpan.FromMilliseconds(config.RequestTimeoutMs));
        var quorum = new RaftMetadataQuorum(system, config, Path.Combine(dir, $"node-{id}"), transport,
            new RaftMetadataQuorumOptions { SnapshotEveryBytes = snapshotEveryBytes });
        var node = new RaftSocketNode(id, system, transport, quorum, new RecordingMetadataListener());
        try
        {
            quorum.Start(node.Listener);
            var endpoint = new RaftQuorumEndpoint(quorum.Actor!, "CONTROLLER", voters);
            var port = voterPorts.TryGetValue(id, out var voterPort) ? voterPort : listenPort;
            node._server = await BrokerServer.StartAsync(new NetworkSettings { Host = "127.0.0.1", Port = port },
                new RaftRequestDispatcher(new RaftHandlers(() => endpoint)), SupportedApis.Build());
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the member as a crash would look to the others: listener gone, actor stopped, files closed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }
        Quorum.Dispose();
        await Quorum.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        await _system.Terminate();
        await _transport.DisposeAsync();
    }

    public static Dictionary<int, int> FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select((l, i) => (Id: i + 1, ((IPEndPoint)l.LocalEndpoint).Port)).ToDictionary(p => p.Id, p => p.Port);
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
