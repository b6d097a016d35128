using Broker.Actors.Kernel;
using Broker.Actors.Storage;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Partition;

/// <summary>
/// Owns one partition replica's log: the single writer. Appends, deletes and config changes arrive
/// as messages, one at a time. On a failure the supervisor restarts it, which reopens (and recovers)
/// the log from disk in <see cref="PostRestart"/>.
/// </summary>
public sealed class PartitionActor : ActorBase
{
    private readonly PartitionHandle _handle;
    private readonly Func<Log> _open;
    private readonly Func<Log> _reopen;
    private Log _log = null!;

    public PartitionActor(PartitionHandle handle, Func<Log> open, Func<Log> reopen)
    {
        _handle = handle;
        _open = open;
        _reopen = reopen;
    }

    /// <param name="open">Gets the partition's open log at first start.</param>
    /// <param name="reopen">Closes and reloads the log from disk, after a failure restarted the actor.</param>
    public static Props Props(PartitionHandle handle, Func<Log> open, Func<Log> reopen) =>
        Kernel.Props.Create(() => new PartitionActor(handle, open, reopen));

    /// <summary>The leader epoch stamped on appended batches (single node: 0; the cluster sets it).</summary>
    public int LeaderEpoch { get; private set; }

    protected override void PreStart() => Attach(_open());

    /// <summary>A restart after a failure reloads the log from disk rather than trusting its memory.</summary>
    protected override void PostRestart(Exception reason)
    {
        Log.LogWarning(reason, "partition {Partition} restarted: reloading its log from disk", _handle.TopicPartition);
        Attach(_reopen());
    }

    private void Attach(Log log)
    {
        _log = log;
        // The high-watermark checkpoint is written periodically, so after a crash it lags the log.
        // A single replica is its own ISR: everything recovered is committed (as on append), and
        // without this every record since the last checkpoint would stay invisible to consumers.
        _log.UpdateHighWatermark(_log.LogEndOffset);
        _handle.Attach(_log);
    }

    // The LogManager owns the open Log (retention, flushes, checkpoints, clean shutdown); the actor
    // owns the right to write it.
    protected override void PostStop() => _handle.Attach(null);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AppendToLog append:
                Append(append);
                break;
            case DeleteRecordsBefore delete:
                var result = _log.DeleteRecordsBefore(delete.Offset);
                delete.Completion.TrySetResult(result);
                break;
            case UpdateLogConfig update:
                _log.UpdateConfig(update.Config);
                break;
            case DeletePartition delete:
                _handle.Attach(null);
                delete.Completion.TrySetResult();
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Append(AppendToLog append)
    {
        LogAppendInfo info;
        try
        {
            info = _log.Append(append.Batches.Span, AppendOrigin.Client, LeaderEpoch);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The log is in an unknown state: answer the client, then let the supervisor reload it.
            append.Callback.OnAppended(append.Slot, new LogAppendInfo(Broker.Protocol.Messages.ErrorCode.KafkaStorageError, -1, -1, -1, -1, -1, 0, false));
            throw;
        }
        if (info.IsSuccess && !info.IsDuplicate)
        {
            // A single replica is its own ISR: everything appended is committed.
            _log.UpdateHighWatermark(_log.LogEndOffset);
            _handle.RaiseDataAppended();
        }
        append.Callback.OnAppended(append.Slot, info);
    }
}
