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
