using Broker.Actors.Kernel;
using Broker.Actors.Metadata;
using Broker.Actors.Storage;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Partition;

/// <summary>
/// Owns one partition replica's log: the single writer. Appends, deletes and config changes arrive
/// as messages, one at a time. The metadata image makes it leader or follower
/// (<see cref="ApplyPartitionImage"/>): a leader appends client batches, tracks its followers'
/// positions and moves the high watermark (PartitionActor.Leader.cs); a follower appends what its
/// fetcher copies from the leader (PartitionActor.Follower.cs). On a failure the supervisor restarts
/// it, which reopens (and recovers) the log from disk in <see cref="PostRestart"/>.
/// </summary>
public sealed partial class PartitionActor : ActorBase
{
    private readonly PartitionHandle _handle;
    private readonly Func<Log> _open;
    private readonly Func<Log> _reopen;
    private readonly ReplicaContext? _context;
    private Log _log = null!;
    private PartitionState _state = PartitionState.Standalone;
    private bool _roleApplied;

    public PartitionActor(PartitionHandle handle, Func<Log> open, Func<Log> reopen, ReplicaContext? context = null)
    {
        _handle = handle;
        _open = open;
        _reopen = reopen;
        _context = context;
    }

    /// <param name="open">Gets the partition's open log at first start.</param>
    /// <param name="reopen">Closes and reloads the log from disk, after a failure restarted the actor.</param>
    /// <param name="context">The node's replication context; null for a standalone replica (leader of itself).</param>
    public static Props Props(PartitionHandle handle, Func<Log> open, Func<Log> reopen, ReplicaContext? context = null) =>
        Kernel.Props.Create(() => new PartitionActor(handle, open, reopen, context));

    /// <summary>The leader epoch stamped on appended batches.</summary>
    public int LeaderEpoch => _state.LeaderEpoch;

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
        _handle.Attach(_log);
        // The latest image the replica manager gave the handle (a restart must not trust older state).
        if (_context is not null && _handle.Image is { } image)
        {
            ApplyImage(image);
        }
        else
        {
            PublishState(PartitionState.Standalone);
            // The high-watermark checkpoint is written periodically, so after a crash it lags the log.
            // A single replica is its own ISR: everything recovered is committed (as on append), and
            // without this every record since the last checkpoint would stay invisible to consumers.
            _log.UpdateHighWatermark(_log.LogEndOffset);
        }
    }

    // The LogManager owns the open Log (retention, flushes, checkpoints, clean shutdown); the actor
    // owns the right to write it.
    protected override void PostStop()
    {
        _handle.Attach(null);
        _handle.MarkStopped();
    }

    /// <summary>A restart is not a stop (the default would call PostStop): the same handle lives on.</summary>
    protected override void PreRestart(Exception reason, object? message) => _handle.Attach(null);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AppendToLog append:
                Append(append);
                break;
            case FollowerFetched fetched:
                OnFollowerFetched(fetched);
                break;
            case AppendReplicated replicated:
                OnAppendReplicated(replicated);
                break;
            case ApplyPartitionImage apply:
                // The newest image the replica manager has given the handle, not necessarily this message's:
                // a restarted node replays the metadata log one batch after another, and acting on each
                // intermediate image would make it lead (and take writes in) epochs long gone.
                ApplyImage(_handle.Image ?? apply.Image);
                break;
            case CheckIsr:
                MaybeShrinkIsr();
                break;
            case AlterPartitionDone done:
                OnAlterPartitionDone(done);
                break;
            case TruncateOnDivergence truncate:
                OnTruncateOnDivergence(truncate);
                break;
            case ResetFetchOffset reset:
                OnResetFetchOffset(reset);
                break;
            case DeleteRecordsBefore delete:
                var result = _state.IsLeader ? _log.DeleteRecordsBefore(delete.Offset) : (ErrorCode.NotLeaderOrFollower, _log.LogStartOffset);
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
        if (!_state.IsLeader)
        {
            append.Callback.OnAppended(append.Slot, LogAppendInfo.Error(ErrorCode.NotLeaderOrFollower, _log.LogStartOffset));
            return;
        }
        // Kafka refuses an acks=all write up front when the ISR is already too small.
        if (append.RequiredAcks == -1 && IsrSize < _log.Config.MinInSyncReplicas)
        {
            append.Callback.OnAppended(append.Slot, LogAppendInfo.Error(ErrorCode.NotEnoughReplicas, _log.LogStartOffset));
            return;
        }
        LogAppendInfo info;
        try
        {
            info = _log.Append(append.Batches.Span, AppendOrigin.Client, _state.LeaderEpoch);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The log is in an unknown state: answer the client, then let the supervisor reload it.
            append.Callback.OnAppended(append.Slot, LogAppendInfo.Error(ErrorCode.KafkaStorageError, -1));
            throw;
        }
        if (info.IsSuccess && !info.IsDuplicate)
        {
            // One replica alone is its own ISR: the HW moves with the append (one wakeup for both).
            TryIncrementHighWatermark();
            _handle.RaiseDataAppended();
        }
        append.Callback.OnAppended(append.Slot, info);
    }

    private void PublishState(PartitionState state)
    {
        var previous = _state;
        _state = state;
        _handle.State = state;
        if (previous.IsLeader != state.IsLeader || previous.LeaderEpoch != state.LeaderEpoch || previous.LeaderId != state.LeaderId)
        {
            _handle.RaiseLeadershipChanged();
        }
    }

    /// <summary>Applies the partition's image: becomes leader or follower on a new leader or epoch,
    /// otherwise takes the newer ISR and partition epoch.</summary>
    private void ApplyImage(PartitionImage image)
    {
        if (_context is null || (_roleApplied && image.LeaderEpoch < _state.LeaderEpoch))
        {
            return; // an older image than the state we run on
        }
        var leader = image.Leader == _context.NodeId;
        var sameEpoch = _roleApplied && image.LeaderEpoch == _state.LeaderEpoch && image.Leader == _state.LeaderId;
        _roleApplied = true;
        if (leader)
        {
            if (sameEpoch && _state.IsLeader)
            {
                OnLeaderImageUpdate(image);
            }
            else
            {
                BecomeLeader(image);
            }
        }
        else if (!sameEpoch || _state.IsLeader)
        {
            BecomeFollower(image);
        }
        else if (image.PartitionEpoch > _state.PartitionEpoch)
        {
            PublishState(_state with { PartitionEpoch = image.PartitionEpoch, Isr = image.Isr, Replicas = image.Replicas });
        }
    }

    private void BecomeFollower(PartitionImage image)
    {
        Context.Timers.Cancel(CheckIsr.Instance);
        _followers.Clear();
        _pendingIsr = null;
        PublishState(new PartitionState(false, image.Leader, image.LeaderEpoch, image.PartitionEpoch, image.Replicas, image.Isr));
        Log.LogInformation("partition {Partition} follows {Leader} in leader epoch {Epoch}", _handle.TopicPartition, image.Leader, image.LeaderEpoch);
        // Wakes produces waiting for acks here: they fail with NOT_LEADER_OR_FOLLOWER now.
        _handle.RaiseDataAppended();
    }
}

/// <summary>Timer tick of a leader: check for followers that fell out of sync.</summary>
internal sealed class CheckIsr
{
    public static readonly CheckIsr Instance = new();
}

/// <summary>The controller's answer to an AlterPartition proposal, back on the partition actor.</summary>
internal sealed record AlterPartitionDone(AlterPartitionProposal Proposal, AlterPartitionOutcome? Outcome, Exception? Failure);
