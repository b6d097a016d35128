using Broker.Actors.Metadata;
using Broker.Host.Cluster;
using Broker.Host.Configuration;
using Microsoft.Extensions.Logging;

namespace Broker.Host;

public sealed partial class BrokerNode
{
    private IMetadataQuorum? _injectedQuorum;
    private Func<int, (string Host, int Port)?>? _controllerEndpoints;

    /// <summary>This node's follower of the metadata log: every image it serves comes from here.</summary>
    public MetadataPublisher MetadataPublisher { get; private set; } = null!;

    /// <summary>The replicated metadata log this node follows (and appends to while it is the active controller).</summary>
    public IMetadataQuorum Quorum { get; private set; } = null!;

    /// <summary>The controller role of this node (null when process.roles has no controller).</summary>
    public QuorumController? LocalController { get; private set; }

    /// <summary>The way to the active controller (in-process or over the wire).</summary>
    public ControllerChannel ControllerChannel { get; private set; } = null!;

    /// <summary>This broker's registration and heartbeats.</summary>
    public BrokerLifecycleManager? Lifecycle { get; private set; }

    /// <summary>Whether this node may trust its image about itself (renewed by unfenced heartbeat answers; always
    /// valid for a single voter): Metadata, FindCoordinator and Produce check it (<see cref="BrokerMetadataLease"/>).</summary>
    public BrokerMetadataLease MetadataLease { get; private set; } = BrokerMetadataLease.Always();

    private readonly TaskCompletionSource _initialCatchUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes once this node's metadata has caught up with the cluster since it started (Kafka's initial
    /// catch-up): when the controller first unfences its registration, which it does only once the node has
    /// applied the log up to it. Until then a restarted node's image is whatever it replayed from its own
    /// files (empty before its first fetch from the quorum leader, itself as the leader of partitions its
    /// previous incarnation led), so client metadata answers wait for this and for
    /// <see cref="InitialLeadership"/> (MetadataHandler). Complete at once on an injected log (tests).
    /// </summary>
    internal Task InitialCatchUp => _initialCatchUp.Task;

    /// <summary>Starts a node over a quorum made by the caller (tests: several in-process nodes over one
    /// shared log); the node disposes it when it stops. <paramref name="controllerEndpoints"/> says where each
    /// node's controller listens (default: <c>controller.quorum.voters</c>).</summary>
    public static async Task<BrokerNode> StartAsync(BrokerSettings settings, ILoggerFactory loggerFactory, IMetadataQuorum quorum,
        Func<int, (string Host, int Port)?>? controllerEndpoints = null, CancellationToken cancellationToken = default)
    {
        var node = new BrokerNode(settings, loggerFactory) { _injectedQuorum = quorum, _controllerEndpoints = controllerEndpoints };
        try
        {
            await node.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private Task<IMetadataController> StartControllerAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A single voter keeps a random id; the nodes of a cluster agree on one derived from their voters.
        var clusterId = MetaProperties.EnsureClusterId(Settings.MetadataLogDir, Settings.LogDirs, Settings.NodeId,
            Settings.ControllerQuorumVoters.Count > 1 ? MetaProperties.ClusterIdFromVoters(Settings.ControllerQuorumVoters.Select(v => v.ToString())) : null);
        MetadataPublisher = new MetadataPublisher(clusterId);
        Quorum = _injectedQuorum ?? CreateQuorum();
        MetadataLease = _injectedQuorum is not null || UsesRaft
            ? BrokerMetadataLease.FromHeartbeats(Settings.Values.GetLong(Broker.Actors.Configs.BrokerConfigs.BrokerSessionTimeoutMs))
            : BrokerMetadataLease.Always();
        Quorum.Start(MetadataPublisher);
        if (Settings.IsController)
        {
            LocalController = QuorumController.Start(System, new ControllerSettings(
                Settings.MetadataLogDir,
                Settings.LogDirs,
                Settings.NodeId,
                Settings.NumPartitions,
                Settings.DefaultReplicationFactor,
                Settings.Values)
            {
                SessionTimeoutMs = Settings.Values.GetLong(Broker.Actors.Configs.BrokerConfigs.BrokerSessionTimeoutMs),
                LivenessProbeIntervalMs = Settings.Values.GetLong(Broker.Actors.Configs.BrokerConfigs.ControllerBrokerLivenessProbeIntervalMs),
                LivenessProbe = new TcpBrokerLivenessProbe(TimeSpan.FromSeconds(1)),
            }, Quorum, MetadataPublisher);
        }
        ControllerChannel = new ControllerChannel(Quorum, LocalController, _controllerEndpoints ?? VoterEndpoint);
        IMetadataController controller = new ForwardingController(ControllerChannel, MetadataPublisher, Settings.NodeId, () => Lifecycle?.BrokerEpoch ?? -1);
        return Task.FromResult(controller);
    }

    private (string Host, int Port)? VoterEndpoint(int nodeId) =>
        Settings.ControllerQuorumVoters.FirstOrDefault(v => v.NodeId == nodeId) is { } voter ? (voter.Host, voter.Port) : null;

    /// <summary>The metadata quorum of this node's config: one voter (this node) is a local log.
    /// Several voters (or a broker-only observer): the Raft quorum (BrokerNode.Quorum.cs).</summary>
    private IMetadataQuorum CreateQuorum() =>
        UsesRaft ? CreateRaftQuorum() : new LocalMetadataQuorum(Settings.NodeId, Settings.MetadataLogDir);

    /// <summary>A single node (the only voter) waits until it is registered and unfenced, so it serves at
    /// once; a cluster node registers in the background (its quorum may not have a leader yet).</summary>
    private async Task RegisterAsync(int boundPort)
    {
        var listeners = Settings.AdvertisedListeners
            .Select(l => new BrokerEndpointImage(l.ListenerName,
                l.Host is "0.0.0.0" or "" or "::" ? "127.0.0.1" : l.Host,
                l.Port == 0 ? ListenerPort(l.ListenerName) is > 0 and var p ? p : boundPort : l.Port,
                0))
            .ToList();
        Lifecycle = new BrokerLifecycleManager(ControllerChannel, MetadataPublisher, Settings.NodeId, Settings.BrokerRack,
            TimeSpan.FromMilliseconds(Settings.Values.GetLong(Broker.Actors.Configs.BrokerConfigs.BrokerHeartbeatIntervalMs)),
            MetadataLease, _loggerFactory.CreateLogger<BrokerLifecycleManager>());
        Lifecycle.Start(listeners);
        _ = Lifecycle.ShutdownRequested.ContinueWith(_ => _leaveRequested.TrySetResult(), TaskScheduler.Default);
        if (_injectedQuorum is not null)
        {
            _initialCatchUp.TrySetResult();
        }
        else
        {
            // A single node too: its new incarnation's registration fences the old one and takes its leaderships
            // away, and the unfencing heartbeat gives them back, a moment after the listener opened.
            _ = Lifecycle.Unfenced.ContinueWith(_ => _initialCatchUp.TrySetResult(), TaskScheduler.Default);
        }
        WatchInitialLeadership();
        if (_injectedQuorum is null && Settings.ControllerQuorumVoters.Count == 1 && Settings.IsController)
        {
            try
            {
                await Lifecycle.Unfenced.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("node {NodeId} is not unfenced after 30 s", Settings.NodeId);
            }
        }
    }

    /// <summary>Completes when an operator made this node leave the cluster (<c>brokerctl cluster leave</c>): the
    /// controller moved its leaderships away and told it to shut down; the process then stops gracefully.</summary>
    public Task LeaveRequested => _leaveRequested.Task;

    private readonly TaskCompletionSource _leaveRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Tests: stop as a crash would, without a controlled shutdown.</summary>
    internal bool SkipControlledShutdown { get; set; }

    /// <summary>Controlled shutdown (when another broker can take over), then stop heartbeating.</summary>
    private async Task LeaveClusterAsync()
    {
        if (Lifecycle is not null)
        {
            var image = MetadataPublisher.Current;
            if (!SkipControlledShutdown && image.Brokers.Values.Any(b => b.NodeId != Settings.NodeId && !b.Fenced))
            {
                if (await Lifecycle.ControlledShutdownAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false))
                {
                    // The controller answers once the batch that fenced this broker and moved its leaderships is
                    // committed, not once this node applied it: wait for it here, before the listener closes.
                    var self = Settings.NodeId;
                    if (!await MetadataPublisher.WaitForAsync(i => !i.Brokers.TryGetValue(self, out var b) || b.Fenced, TimeSpan.FromSeconds(5)).ConfigureAwait(false))
                    {
                        _logger.LogWarning("node {NodeId}: the batch that ends its controlled shutdown did not arrive within 5 s", self);
                    }
                }
            }
            await Lifecycle.DisposeAsync().ConfigureAwait(false);
            Lifecycle = null;
        }
    }

    private async Task StopQuorumAsync()
    {
        if (ControllerChannel is not null)
        {
            await ControllerChannel.DisposeAsync().ConfigureAwait(false);
        }
        Quorum?.Dispose();
    }
}
