using System.Collections.Concurrent;
using Broker.Actors.Kernel;
using Broker.Actors.Metadata;
using Broker.Actors.Storage;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Partition;

/// <summary>
/// This node's shard region: the registry of local partition replicas. It follows the metadata
/// image, starting a <see cref="PartitionActor"/> for each partition placed on this node and
/// stopping (and deleting) the ones whose topic is gone or that a reassignment moved away.
/// </summary>
public sealed class ReplicaManager
{
    private readonly ActorSystem _system;
    private readonly LogManager _logs;
    private readonly int _nodeId;
    private readonly Func<TopicImage, LogConfig> _logConfig;
    private readonly ILogger _logger;
    private readonly ReplicaContext? _context;
    private readonly ConcurrentDictionary<TopicPartition, PartitionHandle> _partitions = new();
    private readonly object _applyLock = new();
    private MetadataImage? _applied;

    /// <param name="context">Replication settings shared by the replicas; null runs every replica standalone (leader of itself).</param>
    public ReplicaManager(ActorSystem system, LogManager logs, int nodeId, Func<TopicImage, LogConfig> logConfig, ILogger logger, ReplicaContext? context = null)
    {
        _context = context;
        _system = system;
        _logs = logs;
        _nodeId = nodeId;
        _logConfig = logConfig;
        _logger = logger;
    }

    /// <summary>Raised after an append moved a partition's log end or high watermark.</summary>
    public event Action<PartitionHandle>? DataAppended;

    /// <summary>Raised after a local replica became leader or follower or changed leader epoch (on its actor), and
    /// when a replica is removed (its handle then is no longer <see cref="Get"/>'s).</summary>
    public event Action<PartitionHandle>? LeadershipChanged;

    /// <summary>Raised after an image was applied (replicas started, stopped, or given a new role): the
    /// replica fetchers reconcile which partitions they copy from which leader.</summary>
    public event Action? Applied;

    public int Count => _partitions.Count;

    public IEnumerable<PartitionHandle> Partitions => _partitions.Values;

    public PartitionHandle? Get(string topic, int partition) =>
        _partitions.GetValueOrDefault(new TopicPartition(topic, partition));

    /// <summary>Brings the local replicas in line with a new metadata image.</summary>
    public void Apply(MetadataImage image)
    {
        lock (_applyLock)
        {
            _applied = image;
            foreach (var topic in image.TopicsByName.Values)
            {
                LogConfig? config = null;
                foreach (var p in topic.Partitions)
                {
                    if (!p.Replicas.Contains(_nodeId))
                    {
                        continue;
                    }
                    var tp = new TopicPartition(topic.Name, p.Partition);
                    if (_partitions.TryGetValue(tp, out var existing))
                    {
                        if (existing.TopicId == topic.Id)
                        {
                            config ??= _logConfig(topic);
                            if (existing.Log is { } log && !Equals(log.Config, config))
                            {
                                existing.Actor.Tell(new UpdateLogConfig(config));
                            }
                            if (!ReferenceEquals(existing.Image, p))
                            {
                                existing.Image = p;
                                existing.Actor.Tell(new ApplyPartitionImage(p));
                            }
                            continue;
                        }
                        Remove(tp, existing); // same name, new topic id: the old one was deleted
                    }
                    config ??= _logConfig(topic);
                    Start(tp, topic.Id, config, p);
                }
            }
            foreach (var (tp, handle) in _partitions)
            {
                // Gone: the topic was deleted (or recreated), or a reassignment moved this replica to other brokers.
                if (!Hosts(image, tp, handle.TopicId))
                {
                    Remove(tp, handle);
                }
            }
        }
        Applied?.Invoke();
    }

    /// <summary>
    /// Deletes the logs on disk that no replica here owns in the last image applied: partitions of topics
    /// deleted (or deleted and recreated) while this node was down, or moved off it meanwhile (Kafka's
    /// stray replicas). Call once the images have caught up with the cluster, never on a partial one.
    /// Returns the partitions deleted.
    /// </summary>
    public IReadOnlyList<TopicPartition> DeleteStrayLogs()
    {
        var strays = new List<TopicPartition>();
        lock (_applyLock)
        {
            if (_applied is not { } image)
            {
                return strays;
            }
            foreach (var log in _logs.Logs.ToList())
            {
                var tp = log.TopicPartition;
                if (_partitions.ContainsKey(tp))
                {
                    continue;
                }
                if (Hosts(image, tp, log.TopicId))
                {
                    continue; // the next image starts its replica
                }
                strays.Add(tp);
                _logger.LogWarning("deleting stray log {Partition} (topic id {TopicId}): no replica of it is assigned to node {NodeId}",
                    tp, log.TopicId?.ToString() ?? "unknown", _nodeId);
                _ = _logs.DeleteLog(tp, log.TopicId);
            }
        }
        return strays;
    }

    /// <summary>Whether <paramref name="image"/> places a replica of <paramref name="tp"/> on this node, in the topic
    /// of <paramref name="topicId"/> (null: a log from before topic ids, which belongs to whichever topic has the name).</summary>
    private bool Hosts(MetadataImage image, TopicPartition tp, Guid? topicId) =>
        image.Topic(tp.Topic) is { } topic
        && (topicId ?? topic.Id) == topic.Id
        && tp.Partition < topic.Partitions.Length
        && topic.Partitions[tp.Partition].Replicas.Contains(_nodeId);

    private void Start(TopicPartition tp, Guid topicId, LogConfig config, PartitionImage image)
    {
        var handle = new PartitionHandle(tp, topicId) { Image = image };
        handle.DataAppended += h => DataAppended?.Invoke(h);
        handle.LeadershipChanged += h => LeadershipChanged?.Invoke(h);
        var logs = _logs;
        handle.Actor = _system.ActorOf(PartitionActor.Props(handle, () => logs.GetOrCreateLog(tp, config, topicId), () => logs.ReopenLog(tp, null, topicId), _context), "partition-" + tp + "-" + topicId.ToString("N")[..8]);
        _partitions[tp] = handle;
        _logger.LogInformation("started replica {Partition}", tp);
    }

    private void Remove(TopicPartition tp, PartitionHandle handle)
    {
        _partitions.TryRemove(tp, out _);
        LeadershipChanged?.Invoke(handle);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        handle.Actor.Tell(new DeletePartition(stopped));
        var topicId = handle.TopicId;
        _ = stopped.Task.ContinueWith(_ => _logs.DeleteLog(tp, topicId), TaskScheduler.Default);
        _logger.LogInformation("removed replica {Partition}", tp);
    }
}
