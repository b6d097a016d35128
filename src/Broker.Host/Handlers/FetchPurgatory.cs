using Broker.Actors.Partition;
using Broker.Actors.Purgatory;
using Broker.Actors.Storage;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// Where fetches wait for data (Kafka's DelayedFetch), on the shared
/// <see cref="DelayedOperationPurgatory{TKey}"/>: a waiting fetch is watched under each partition it
/// asked for and completes on the first append that gives it new data, or at its deadline (the
/// purgatory's timer wheel). Waiting holds no thread.
/// </summary>
internal sealed class FetchPurgatory : IDisposable
{
    private readonly DelayedOperationPurgatory<TopicPartition> _purgatory = new("Fetch");

    /// <summary>Fetches waiting for data or their deadline.</summary>
    public int Waiting => _purgatory.Delayed;

    /// <summary>
    /// Parks <paramref name="fetch"/> until <paramref name="hasNewData"/> holds after an append to one of
    /// its partitions, or until <paramref name="maxWait"/>. The purgatory asks <paramref name="hasNewData"/>
    /// again once the watch is registered, so an append that landed between the caller's read and the
    /// registration is not lost.
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
        if (keys.Count == 0)
        {
            complete();
            return;
        }
        _purgatory.TryCompleteElseWatch(new DelayedFetch(maxWait, hasNewData, complete), keys);
    }

    /// <summary>Called after an append to <paramref name="partition"/>: wakes its waiting fetches.</summary>
    public void OnDataAppended(PartitionHandle partition) => _purgatory.CheckAndComplete(partition.TopicPartition);

    public void Dispose() => _purgatory.Dispose();

    private sealed class DelayedFetch(TimeSpan maxWait, Func<bool> hasNewData, Action complete) : DelayedOperation(maxWait)
    {
        public override bool TryComplete() => hasNewData() && ForceComplete();

        // Respond off the appending actor's (or the timer's) thread.
        protected override void OnComplete() => ThreadPool.UnsafeQueueUserWorkItem(static c => c(), complete, preferLocal: false);
    }
}
