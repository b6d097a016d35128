using Broker.Actors.Configs;
using Broker.Actors.Metadata;
using Broker.Actors.Partition;
using Broker.Host.Handlers;
using Broker.Host.Network.Client;
using Broker.Host.Replication;

namespace Broker.Host;

/// <summary>Partition replication: the replicas' shared context, the acks=all purgatory, the fetchers.</summary>
public sealed partial class BrokerNode
{
    private NodeConnectionPool? _replicationPool;

    /// <summary>Where acks=all produces wait for the ISR.</summary>
    internal ProducePurgatory ProducePurgatory { get; } = new();

    /// <summary>The follower fetch loops (one per source broker).</summary>
    internal ReplicaFetcherManager? ReplicaFetchers { get; private set; }

    private ReplicaContext CreateReplicaContext()
    {
        _replicationPool = new NodeConnectionPool("replica-fetcher-" + Settings.NodeId);
        return new ReplicaContext(
            Settings.NodeId,
            Settings.Values.GetLong(BrokerConfigs.ReplicaLagTimeMaxMs),
            new ControllerAlterPartitionSender(() => ControllerChannel, () => Lifecycle?.BrokerEpoch ?? -1),
            TimeProvider.System)
        {
            IsBrokerEligible = id => Controller.Current.Brokers.TryGetValue(id, out var b) && !b.Fenced && !b.InControlledShutdown,
        };
    }

    /// <summary>Wires the replica manager to the produce purgatory and the fetchers (before the first image is applied).</summary>
    private void StartReplication()
    {
        Replicas.DataAppended += ProducePurgatory.OnDataAppended;
        var settings = new ReplicaFetcherSettings(
            Settings.NodeId,
            (int)Settings.Values.GetLong(BrokerConfigs.ReplicaFetchWaitMaxMs),
            (int)Settings.Values.GetLong(BrokerConfigs.ReplicaFetchMaxBytes),
            10 * 1024 * 1024,
            BackoffMs: 200);
        ReplicaFetchers = new ReplicaFetcherManager(Replicas, new NodeConnectionFetchTransport(_replicationPool!, () => Controller.Current), settings, _loggerFactory);
        Replicas.Applied += ReplicaFetchers.Reconcile;
    }

    private async ValueTask StopReplicationAsync()
    {
        if (ReplicaFetchers is { } fetchers)
        {
            Replicas.Applied -= fetchers.Reconcile;
            await fetchers.DisposeAsync().ConfigureAwait(false);
        }
        if (_replicationPool is not null)
        {
            await _replicationPool.DisposeAsync().ConfigureAwait(false);
        }
        ProducePurgatory.Dispose();
    }
}
