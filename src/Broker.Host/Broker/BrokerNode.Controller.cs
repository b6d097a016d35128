using Broker.Actors.Metadata;
using Broker.Host.Configuration;
using Microsoft.Extensions.Logging;

namespace Broker.Host;

public sealed partial class BrokerNode
{
    private IMetadataQuorum? _injectedQuorum;

    /// <summary>This node's follower of the metadata log: every image it serves comes from here.</summary>
    public MetadataPublisher MetadataPublisher { get; private set; } = null!;

    /// <summary>The replicated metadata log this node follows (and appends to while it is the active controller).</summary>
    public IMetadataQuorum Quorum { get; private set; } = null!;

    /// <summary>The controller role of this node (null when process.roles has no controller).</summary>
    public QuorumController? LocalController { get; private set; }

    /// <summary>Starts a node over a quorum made by the caller (tests: several in-process nodes over one
    /// shared log); the node disposes it when it stops.</summary>
    public static async Task<BrokerNode> StartAsync(BrokerSettings settings, ILoggerFactory loggerFactory, IMetadataQuorum quorum, CancellationToken cancellationToken = default)
    {
        var node = new BrokerNode(settings, loggerFactory, sharedController: null) { _injectedQuorum = quorum };
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
        if (_sharedController is not null)
        {
            return Task.FromResult(_sharedController);
        }
        var clusterId = MetaProperties.EnsureClusterId(Settings.MetadataLogDir, Settings.LogDirs, Settings.NodeId);
        MetadataPublisher = new MetadataPublisher(clusterId);
        Quorum = _injectedQuorum ?? CreateQuorum();
        Quorum.Start(MetadataPublisher);
        if (Settings.IsController)
        {
            LocalController = QuorumController.Start(System, new ControllerSettings(
                Settings.MetadataLogDir,
                Settings.LogDirs,
                Settings.NodeId,
                Settings.NumPartitions,
                Settings.DefaultReplicationFactor,
                Settings.Values), Quorum, MetadataPublisher);
        }
        IMetadataController controller = LocalController ?? throw new NotSupportedException("a broker-only node needs the controller forwarding");
        return Task.FromResult(controller);
    }

    /// <summary>The metadata quorum of this node's config: one voter (this node) is a local log.
    /// Several voters (or a broker-only observer): the Raft quorum (BrokerNode.Quorum.cs).</summary>
    private IMetadataQuorum CreateQuorum() =>
        UsesRaft ? CreateRaftQuorum() : new LocalMetadataQuorum(Settings.NodeId, Settings.MetadataLogDir);

    private void StopQuorum()
    {
        if (_sharedController is null)
        {
            Quorum?.Dispose();
        }
    }

    /// <summary>Registers this broker with the controller under its advertised address.</summary>
    private async Task RegisterAsync(int boundPort)
    {
        var advertised = Settings.AdvertisedListeners.Count > 0 ? Settings.AdvertisedListeners[0] : Settings.Listeners[0];
        var host = advertised.Host is "0.0.0.0" or "" or "::" ? "127.0.0.1" : advertised.Host;
        var port = advertised.Port == 0 ? boundPort : advertised.Port;
        var controller = _sharedController as QuorumController ?? LocalController!;
        await controller.RegisterBrokerAsync(Settings.NodeId, host, port, Settings.BrokerRack).ConfigureAwait(false);
    }
}
