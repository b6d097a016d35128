using Broker.Actors.Partition;
using Broker.Actors.Purgatory;
using Broker.Actors.Storage;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// Where acks=all produces wait for replication (Kafka's DelayedProduce), on the shared
/// <see cref="DelayedOperationPurgatory{TKey}"/>: one operation per appended partition, watched under
/// that partition, completed when the high watermark covers the batch (or the replica lost leadership),
/// or with REQUEST_TIMED_OUT at the produce timeout. A single replica never waits: its append moves
/// the high watermark itself.
/// </summary>
internal sealed class ProducePurgatory : IDisposable
{
    private readonly DelayedOperationPurgatory<TopicPartition> _purgatory = new("Produce");

    public int Waiting => _purgatory.Delayed;

    /// <summary>Outcome of an acks=all append once the HW covers <paramref name="requiredOffset"/>, or
    /// null while it does not yet. Kafka's checkEnoughReplicasReachOffset.</summary>
    public static ErrorCode? Check(PartitionHandle handle, int appendEpoch, long requiredOffset)
    {
        var state = handle.State;
        if (!state.IsLeader || state.LeaderEpoch != appendEpoch || handle.Log is not { } log)
        {
            return ErrorCode.NotLeaderOrFollower;
        }
        if (log.HighWatermark < requiredOffset)
        {
            return null;
        }
        return state.Isr.Length < log.Config.MinInSyncReplicas ? ErrorCode.NotEnoughReplicasAfterAppend : ErrorCode.None;
    }

    /// <summary>Waits until <see cref="Check"/> answers, then calls <paramref name="complete"/> with it (once).</summary>
    public void Wait(PartitionHandle handle, int appendEpoch, long requiredOffset, TimeSpan timeout, Action<ErrorCode> complete) =>
        _purgatory.TryCompleteElseWatch(new DelayedProduce(handle, appendEpoch, requiredOffset, timeout, complete), [handle.TopicPartition]);

    /// <summary>Called after a partition's high watermark, log end or role changed.</summary>
    public void OnDataAppended(PartitionHandle partition) => _purgatory.CheckAndComplete(partition.TopicPartition);

    public void Dispose() => _purgatory.Dispose();

    private sealed class DelayedProduce(PartitionHandle handle, int appendEpoch, long requiredOffset, TimeSpan timeout, Action<ErrorCode> complete)
        : DelayedOperation(timeout)
    {
        private ErrorCode _result = ErrorCode.RequestTimedOut;

        public override bool TryComplete()
        {
            if (Check(handle, appendEpoch, requiredOffset) is not { } error)
            {
                return false;
            }
            _result = error;
            return ForceComplete();
        }

        protected override void OnComplete() => complete(_result);
    }
}
