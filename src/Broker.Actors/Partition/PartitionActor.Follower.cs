using System.Runtime.InteropServices;
using Broker.Actors.Storage;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Partition;

/// <summary>
/// The follower side: the node's replica fetcher copies batches from the leader and hands them here,
/// the single writer. They are appended as they are (the leader's offsets and epochs); the high
/// watermark becomes min(leader's, own log end). A divergent tail (this replica led an older epoch) is
/// cut off when the leader reports a diverging epoch.
/// </summary>
public sealed partial class PartitionActor
{
    private ErrorCode CheckFollowerEpoch(int leaderEpoch) =>
        !_state.IsFollower ? ErrorCode.NotLeaderOrFollower
        : leaderEpoch != _state.LeaderEpoch ? ErrorCode.FencedLeaderEpoch
        : ErrorCode.None;

    private void OnAppendReplicated(AppendReplicated message)
    {
        var error = CheckFollowerEpoch(message.LeaderEpoch);
        if (error != ErrorCode.None)
        {
            message.Completion.TrySetResult(error);
            return;
        }
        if (message.Batches.Length > 0)
        {
            LogAppendInfo info;
            try
            {
                info = _log.AppendAsFollower(MemoryMarshal.AsMemory(message.Batches).Span);
            }
            catch (LogStorageException ex)
            {
                // Offsets that do not continue our log: the fetcher resets its position and retries.
                Log.LogWarning("partition {Partition}: {Message}", _handle.TopicPartition, ex.Message);
                message.Completion.TrySetResult(ErrorCode.OffsetOutOfRange);
                return;
            }
            if (!info.IsSuccess)
            {
                message.Completion.TrySetResult(info.ErrorCode);
                return;
            }
        }
        var hw = Math.Min(message.LeaderHighWatermark, _log.LogEndOffset);
        if (hw > _log.HighWatermark)
        {
            _log.UpdateHighWatermark(hw);
        }
        if (message.LeaderLogStartOffset > _log.LogStartOffset && message.LeaderLogStartOffset <= _log.HighWatermark)
        {
            _log.DeleteRecordsBefore(message.LeaderLogStartOffset);
        }
        _handle.RaiseDataAppended();
        message.Completion.TrySetResult(ErrorCode.None);
    }

    /// <summary>
    /// Kafka's follower truncation on a diverging epoch (E, O) from the leader: when our log has epoch E
    /// too, everything after min(O, our end of E) goes; when our latest epoch at or below E is older,
    /// truncate to its end and fetch again (the leader answers for that epoch next time).
    /// </summary>
    private void OnTruncateOnDivergence(TruncateOnDivergence message)
    {
        var error = CheckFollowerEpoch(message.LeaderEpoch);
        if (error != ErrorCode.None)
        {
            message.Completion.TrySetResult(-1);
            return;
        }
        var end = _log.LogEndOffset;
        var (localEpoch, localEnd) = _log.LeaderEpochCache.EndOffsetFor(message.Epoch, end);
        long target;
        if (message.Epoch < 0 || localEpoch < 0 || localEnd < 0)
        {
            target = Math.Min(message.EndOffset < 0 ? _log.HighWatermark : message.EndOffset, end);
        }
        else if (localEpoch == message.Epoch)
        {
            target = Math.Min(message.EndOffset, localEnd);
        }
        else
        {
            target = Math.Min(localEnd, end);
        }
        target = Math.Max(target, _log.LogStartOffset);
        if (_log.TruncateTo(target))
        {
            Log.LogInformation("partition {Partition} truncated its divergent tail to {Offset} (was {End}; leader epoch {Epoch} ends at {LeaderEnd})",
                _handle.TopicPartition, target, end, message.Epoch, message.EndOffset);
        }
        message.Completion.TrySetResult(_log.LogEndOffset);
    }

    private void OnResetFetchOffset(ResetFetchOffset message)
    {
        if (CheckFollowerEpoch(message.LeaderEpoch) != ErrorCode.None)
        {
            message.Completion.TrySetResult(-1);
            return;
        }
        var end = _log.LogEndOffset;
        if (end < message.LeaderLogStartOffset)
        {
            _log.TruncateFullyAndStartAt(message.LeaderLogStartOffset);
        }
        else if (message.LeaderHighWatermark >= 0 && end > message.LeaderHighWatermark)
        {
            // Everything up to the leader's high watermark is committed and identical here.
            _log.TruncateTo(Math.Max(message.LeaderHighWatermark, _log.LogStartOffset));
        }
        Log.LogInformation("partition {Partition} reset its fetch position from {Old} to {New}", _handle.TopicPartition, end, _log.LogEndOffset);
        message.Completion.TrySetResult(_log.LogEndOffset);
    }
}
