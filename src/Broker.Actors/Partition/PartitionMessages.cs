using Broker.Actors.Storage;

namespace Broker.Actors.Partition;

/// <summary>
/// Receives the outcome of appends. One object per produce request collects the results of all its
/// partitions (slot = the partition's index in the request), so no per-partition Task is allocated.
/// </summary>
public interface IAppendCallback
{
    void OnAppended(int slot, in LogAppendInfo info);
}

/// <summary>Append client batches (the buffer is rewritten in place: offsets, epochs).</summary>
public sealed record AppendToLog(Memory<byte> Batches, short RequiredAcks, IAppendCallback Callback, int Slot);

/// <summary>DeleteRecords: advance the log start offset.</summary>
public sealed record DeleteRecordsBefore(long Offset, TaskCompletionSource<(Broker.Protocol.Messages.ErrorCode ErrorCode, long LogStartOffset)> Completion);

/// <summary>A topic config change reached this partition.</summary>
public sealed record UpdateLogConfig(LogConfig Config);

/// <summary>Stop the actor: the replica is going away (the caller deletes the log).</summary>
public sealed record DeletePartition(TaskCompletionSource Completion);

/// <summary>The metadata image changed this partition (leader, epochs, ISR, replicas): become leader or follower.</summary>
public sealed record ApplyPartitionImage(Metadata.PartitionImage Image);

/// <summary>Leader side: a follower fetched from <paramref name="FetchOffset"/> (acknowledging everything below it)
/// in the leader epoch it named; the leader records its position, maybe moves the high watermark and the ISR.</summary>
public sealed record FollowerFetched(int ReplicaId, long FetchOffset, long FetchTimeMs, int LeaderEpoch);

/// <summary>Follower side: batches fetched from the leader (offsets and epochs already assigned), to append
/// as they are, then set the high watermark to min(leader's, own log end). Completes with the error, or None.</summary>
public sealed record AppendReplicated(
    ReadOnlyMemory<byte> Batches,
    int LeaderEpoch,
    long LeaderHighWatermark,
    long LeaderLogStartOffset,
    TaskCompletionSource<Broker.Protocol.Messages.ErrorCode> Completion);

/// <summary>Follower side: the leader reported that our log diverges after <paramref name="EndOffset"/> of
/// <paramref name="Epoch"/> (Fetch DivergingEpoch); truncate the divergent tail.</summary>
public sealed record TruncateOnDivergence(int Epoch, long EndOffset, int LeaderEpoch, TaskCompletionSource<long> Completion);

/// <summary>Follower side: our fetch offset is out of the leader's range; restart the log at the leader's start
/// (when we are below it) or truncate to the leader's high watermark (when we are above its end).</summary>
public sealed record ResetFetchOffset(long LeaderLogStartOffset, long LeaderHighWatermark, int LeaderEpoch, TaskCompletionSource<long> Completion);
