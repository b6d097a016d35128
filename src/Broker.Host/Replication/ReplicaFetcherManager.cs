using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Replication;

/// <summary>
/// Kafka's ReplicaFetcherManager: after each applied image, every local replica whose leader is another
/// broker is fetched by that broker's <see cref="ReplicaFetcher"/> (one per source broker), and removed
/// from any other. Fetchers stay for the life of the node (an idle one only waits).
/// </summary>
internal sealed class ReplicaFetcherManager : IAsyncDisposable
{
    private readonly Dictionary<int, ReplicaFetcher> _fetchers = [];
    private readonly object _lock = new();
    private readonly ReplicaManager _replicas;
    private readonly IReplicaFetchTransport _transport;
    private readonly ReplicaFetcherSettings _settings;
    private readonly ILoggerFactory _loggerFactory;
    private bool _disposed;

    public ReplicaFetcherManager(ReplicaManager replicas, IReplicaFetchTransport transport, ReplicaFetcherSettings settings, ILoggerFactory loggerFactory)
    {
        _replicas = replicas;
        _transport = transport;
        _settings = settings;
        _loggerFactory = loggerFactory;
    }

    private volatile bool _paused;

    /// <summary>Stops fetching without forgetting the partitions (tests make a follower fall behind with it).</summary>
    internal bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    /// <summary>Partitions being fetched, by source broker.</summary>
    public IReadOnlyDictionary<int, int> PartitionsBySource
    {
        get
        {
            lock (_lock)
            {
                return _fetchers.ToDictionary(f => f.Key, f => f.Value.PartitionCount);
            }
        }
    }

    /// <summary>Brings the fetchers in line with the replicas' current images.</summary>
    public void Reconcile()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            var wanted = new Dictionary<TopicPartition, int>();
            foreach (var handle in _replicas.Partitions)
            {
                if (handle.Image is { } image && image.Leader >= 0 && image.Leader != _settings.NodeId)
                {
                    wanted[handle.TopicPartition] = image.Leader;
                    if (!_fetchers.TryGetValue(image.Leader, out var fetcher))
                    {
                        fetcher = new ReplicaFetcher(image.Leader, _transport, _settings, _loggerFactory.CreateLogger<ReplicaFetcher>(), () => _paused);
                        _fetchers[image.Leader] = fetcher;
                    }
                    fetcher.Add(handle);
                }
            }
            foreach (var (source, fetcher) in _fetchers)
            {
                foreach (var handle in _replicas.Partitions)
                {
                    // Replicas that now lead, follow another broker, or are gone.
                    if (fetcher.Contains(handle.TopicPartition) && (!wanted.TryGetValue(handle.TopicPartition, out var leader) || leader != source))
                    {
                        fetcher.Remove(handle.TopicPartition);
                    }
                }
                fetcher.RemoveMissing(tp => _replicas.Get(tp.Topic, tp.Partition) is not null);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        ReplicaFetcher[] fetchers;
        lock (_lock)
        {
            _disposed = true;
            fetchers = [.. _fetchers.Values];
            _fetchers.Clear();
        }
        foreach (var fetcher in fetchers)
        {
            await fetcher.DisposeAsync().ConfigureAwait(false);
        }
    }
}
