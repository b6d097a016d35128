using System.Collections.Concurrent;
using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// Where fetches wait for data (Kafka's DelayedFetch purgatory): each waiting fetch watches the
/// partitions it asked for and completes once on the first append to any of them, or at its
/// deadline. Waiting holds no thread: a timer and the append notification race to complete it.
/// </summary>
internal sealed class FetchPurgatory
{
    private readonly ConcurrentDictionary<TopicPartition, ConcurrentDictionary<DelayedFetch, byte>> _watchers = new();

    public int Waiting => _watchers.Values.Sum(w => w.Count);

    /// <summary>
    /// Parks <paramref name="fetch"/> until an append to one of its partitions or <paramref name="maxWait"/>.
    /// <paramref name="hasNewData"/> is asked once more after the watch is registered: an append that
    /// landed between the caller's read and the registration raised no wakeup for this fetch, which
    /// would otherwise wait out the whole max.wait (a lost wakeup).
    /// </summary>
    public void Wait(FetchRequest fetch, TimeSpan maxWait, Func<bool> hasNewData, Action complete)
    {
        var keys = new List<TopicPartition>();
        foreach (var topic in fetch.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                keys.Add(new TopicPartition(topic.Topic, partition.Partition));
            }
        }
        var op = new DelayedFetch(this, keys, complete);
        foreach (var key in keys)
        {
            _watchers.GetOrAdd(key, static _ => new()).TryAdd(op, 0);
        }
        op.Arm(maxWait);
        if (hasNewData())
        {
            op.TryComplete();
        }
    }

    /// <summary>Called after an append to <paramref name="partition"/>: wakes its waiting fetches.</summary>
    public void OnDataAppended(PartitionHandle partition)
    {
        if (_watchers.TryGetValue(partition.TopicPartition, out var ops) && !ops.IsEmpty)
        {
            foreach (var op in ops.Keys)
            {
                op.TryComplete();
            }
        }
    }

    private void Unwatch(DelayedFetch op)
    {
        foreach (var key in op.Keys)
        {
            if (_watchers.TryGetValue(key, out var ops))
            {
                ops.TryRemove(op, out _);
            }
        }
    }

    private sealed class DelayedFetch(FetchPurgatory owner, List<TopicPartition> keys, Action complete)
    {
        private int _done;
        private Timer? _timer;

        public List<TopicPartition> Keys { get; } = keys;

        public void Arm(TimeSpan maxWait) =>
            _timer = new Timer(static s => ((DelayedFetch)s!).TryComplete(), this, maxWait, Timeout.InfiniteTimeSpan);

        public void TryComplete()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0)
            {
                return;
            }
            _timer?.Dispose();
            owner.Unwatch(this);
            // Respond off the appending actor's thread.
            ThreadPool.UnsafeQueueUserWorkItem(static c => c(), complete, preferLocal: false);
        }
    }
}
