using Broker.Actors.Configs;
using Broker.Actors.Metadata;
using Broker.Actors.Raft;
using Broker.Host.Handlers;
using Broker.Host.Network;
using Broker.Host.Quorum;
using Microsoft.Extensions.Logging;

namespace Broker.Host;

// The KRaft controller quorum of this node: a RaftMetadataQuorum when controller.quorum.voters names more
// than this node (or this node only observes), the Kafka listeners it is reached on (every entry of
// `listeners`, CONTROLLER included, on the one dispatcher), and the Raft request handlers.
public sealed partial class BrokerNode
{
    private readonly List<BrokerServer> _otherServers = new();
    private readonly CancellationTokenSource _stopping = new();
    private KafkaRaftTransport? _raftTransport;
    private RaftHandlers? _raftHandlers;
    private RaftQuorumEndpoint? _raftEndpoint;

    /// <summary>This node's Raft quorum member, or null when the metadata log is local (one voter: this node).</summary>
    public RaftMetadataQuorum? RaftQuorum => Quorum as RaftMetadataQuorum;

    internal RaftHandlers RaftHandlers => _raftHandlers ??= new RaftHandlers(RaftEndpoint);

    /// <summary>Whether the metadata log is a Raft quorum: several voters, or this node observes (broker only).</summary>
    private bool UsesRaft => Settings.ControllerQuorumVoters.Count > 1 || !Settings.IsController;

    /// <summary>The bound port of the listener named <paramref name="listenerName"/> (e.g. CONTROLLER), or -1.</summary>
    public int ListenerPort(string listenerName)
    {
        if (_server is not null && PrimaryListener().ListenerName == listenerName)
        {
            return _server.Port;
        }
        var others = Settings.Listeners.Where(l => l != PrimaryListener()).ToList();
        for (var i = 0; i < others.Count && i < _otherServers.Count; i++)
        {
            if (others[i].ListenerName == listenerName)
            {
                return _otherServers[i].Port;
            }
        }
        return -1;
    }

    private IReadOnlyList<string> ControllerListenerNames =>
        Settings.Values.GetList(BrokerConfigs.ControllerListenerNames) is { Count: > 0 } names ? names : ["CONTROLLER"];

    /// <summary>The listener clients use (Port): the first one that is not a controller listener.</summary>
    private ListenerEndpoint PrimaryListener() =>
        Settings.Listeners.FirstOrDefault(l => !ControllerListenerNames.Contains(l.ListenerName)) ?? Settings.Listeners[0];

    private RaftMetadataQuorum CreateRaftQuorum()
    {
        var voters = Settings.ControllerQuorumVoters.ToDictionary(v => v.NodeId, v => (v.Host, v.Port));
        var values = Settings.Values;
        var config = new RaftConfig(Settings.NodeId, [.. voters.Keys.Order()])
        {
            ElectionTimeoutMs = (int)values.GetLong(BrokerConfigs.ControllerQuorumElectionTimeoutMs),
            ElectionBackoffMaxMs = (int)values.GetLong(BrokerConfigs.ControllerQuorumElectionTimeoutMs),
            FetchTimeoutMs = (int)values.GetLong(BrokerConfigs.ControllerQuorumFetchTimeoutMs),
            RequestTimeoutMs = (int)values.GetLong(BrokerConfigs.ControllerQuorumRequestTimeoutMs),
            AppendLingerMs = (int)values.GetLong(BrokerConfigs.ControllerQuorumAppendLingerMs),
            // Long-polls end well inside the request timeout, so a parked fetch is never taken for a lost one.
            FetchMaxWaitMs = Math.Max(1, Math.Min(500, (int)values.GetLong(BrokerConfigs.ControllerQuorumRequestTimeoutMs) / 2)),
        };
        _raftTransport = new KafkaRaftTransport(Settings.NodeId, voters, TimeSpan.FromMilliseconds(config.RequestTimeoutMs));
        var quorum = new RaftMetadataQuorum(System, config, Settings.MetadataLogDir, _raftTransport, new RaftMetadataQuorumOptions
        {
            SnapshotEveryBytes = values.GetLong(BrokerConfigs.MetadataLogMaxRecordBytesBetweenSnapshots),
        });
        _logger.LogInformation("node {NodeId}: metadata quorum of voters [{Voters}] over Raft ({Role})",
            Settings.NodeId, string.Join(",", config.Voters), Settings.IsController ? "voter" : "observer");
        return quorum;
    }

    private RaftQuorumEndpoint? RaftEndpoint()
    {
        if (_raftEndpoint is null && RaftQuorum?.Actor is { } actor)
        {
            _raftEndpoint = new RaftQuorumEndpoint(actor, ControllerListenerNames[0],
                Settings.ControllerQuorumVoters.ToDictionary(v => v.NodeId, v => (v.Host, v.Port)));
        }
        return _raftEndpoint;
    }

    /// <summary>Binds every listener other than <paramref name="primary"/> on the same dispatcher.</summary>
    private async Task StartOtherListenersAsync(IRequestDispatcher dispatcher, ListenerEndpoint primary, CancellationToken cancellationToken)
    {
        foreach (var listener in Settings.Listeners)
        {
            if (listener == primary)
            {
                continue;
            }
            _otherServers.Add(await BrokerServer.StartAsync(new NetworkSettings
            {
                Host = listener.Host,
                Port = listener.Port,
                SocketRequestMaxBytes = Settings.SocketRequestMaxBytes,
                QueuedMaxRequests = Settings.QueuedMaxRequests,
                NumIoThreads = Settings.NumIoThreads,
            }, dispatcher, SupportedApis.Build(),
            configureLogging: b => b.AddProvider(new ForwardingLoggerProvider(_loggerFactory)),
            cancellationToken: cancellationToken).ConfigureAwait(false));
        }
    }

    private async Task StopOtherListenersAsync()
    {
        _stopping.Cancel();
        foreach (var server in _otherServers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
        _otherServers.Clear();
    }

    private async Task DisposeRaftTransportAsync()
    {
        if (_raftTransport is not null)
        {
            await _raftTransport.DisposeAsync().ConfigureAwait(false);
            _raftTransport = null;
        }
    }

    /// <summary>Registers through the broker lifecycle manager (BrokerRegistration to the active controller,
    /// retried by the manager until one is elected); a single node waits until it is unfenced.</summary>
    private Task RegisterOnStartAsync(int boundPort) => RegisterAsync(boundPort);
}
