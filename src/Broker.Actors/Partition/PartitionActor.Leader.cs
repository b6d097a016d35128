using System.Collections.Immutable;
using Broker.Actors.Kernel;
using Broker.Actors.Metadata;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Partition;

/// <summary>
/// The leader side of replication, as Kafka's Partition does it: each follower fetch tells the leader
/// the follower's log end (everything below the fetch offset is acknowledged); the high watermark is
/// the smallest log end over the ISR; a follower that has not caught up for replica.lag.time.max.ms
/// leaves the ISR and one that caught up joins it, each change proposed to the controller with
/// AlterPartition and taken once committed. One replica alone is its own ISR: HW = LEO on append.
/// </summary>
public sealed partial class PartitionActor
{
    /// <summary>What the leader knows of one follower.</summary>
    private sealed class FollowerPosition
    {
        public long LogEndOffset = -1;
        public long LastCaughtUpTimeMs;
        public long LastFetchTimeMs;
        public long LeaderEndOffsetAtLastFetch = -1;
    }

    private readonly Dictionary<int, FollowerPosition> _followers = [];
    private ImmutableArray<int>? _pendingIsr;
    private long _leaderEpochStartOffset;

    /// <summary>The ISR the high watermark and min.insync.replicas count: the committed one, or while a
    /// change is in flight the larger of both (Kafka's maximal ISR), so an expansion is safe before commit.</summary>
    private int IsrSize => _pendingIsr is { } pending ? Math.Max(pending.Length, _state.Isr.Length) : _state.Isr.Length;

    private void BecomeLeader(PartitionImage image)
    {
        var now = _context!.NowMs;
        _followers.Clear();
        _pendingIsr = null;
        foreach (var replica in image.Replicas)
        {
            if (replica != _context.NodeId)
            {
                // ISR members get a full lag period to show up before they can be dropped.
                _followers[replica] = new FollowerPosition { LastCaughtUpTimeMs = image.Isr.Contains(replica) ? now : 0 };
            }
        }
        _leaderEpochStartOffset = _log.LogEndOffset;
        _log.LeaderEpochCache.Assign(image.LeaderEpoch, _leaderEpochStartOffset);
        PublishState(new PartitionState(true, image.Leader, image.LeaderEpoch, image.PartitionEpoch, image.Replicas, image.Isr));
        if (image.Replicas.Length > 1)
        {
            var interval = TimeSpan.FromMilliseconds(Math.Max(10, _context.ReplicaLagTimeMaxMs / 2));
            Context.Timers.StartPeriodicTimer(CheckIsr.Instance, CheckIsr.Instance, interval);
        }
        else
        {
            Context.Timers.Cancel(CheckIsr.Instance);
        }
        Log.LogInformation("partition {Partition} leads in epoch {Epoch} from offset {Offset} (ISR {Isr})",
            _handle.TopicPartition, image.LeaderEpoch, _leaderEpochStartOffset, string.Join(",", image.Isr));
        TryIncrementHighWatermark();
        _handle.RaiseDataAppended();
    }

    /// <summary>Same leader and epoch, newer partition epoch: the ISR or replicas changed (our own AlterPartition, or a reassignment).</summary>
    private void OnLeaderImageUpdate(PartitionImage image)
    {
        // Our own committed AlterPartition may have taken the partition epoch already; the image then still
        // brings the replica set a completed reassignment shrank.
        if (image.PartitionEpoch < _state.PartitionEpoch
            || (image.PartitionEpoch == _state.PartitionEpoch && image.Replicas.SequenceEqual(_state.Replicas)))
        {
            return;
        }
        // A reassignment adds replicas (they catch up, then join the ISR) and removes them once done.
        foreach (var replica in image.Replicas)
        {
            if (replica != _context!.NodeId && !_followers.ContainsKey(replica))
            {
                _followers[replica] = new FollowerPosition();
            }
        }
        foreach (var replica in _followers.Keys.Where(r => !image.Replicas.Contains(r)).ToList())
        {
            _followers.Remove(replica);
        }
        if (image.Replicas.Length > 1 && _state.Replicas.Length <= 1)
        {
            var interval = TimeSpan.FromMilliseconds(Math.Max(10, _context!.ReplicaLagTimeMaxMs / 2));
            Context.Timers.StartPeriodicTimer(CheckIsr.Instance, CheckIsr.Instance, interval);
        }
        if (_pendingIsr is { } pending && pending.SequenceEqual(image.Isr))
        {
            _pendingIsr = null;
        }
        PublishState(_state with { PartitionEpoch = image.PartitionEpoch, Isr = image.Isr, Replicas = image.Replicas });
        MaybeIncrementHighWatermark();
    }

    private void OnFollowerFetched(FollowerFetched fetched)
    {
        if (!_state.IsLeader || (fetched.LeaderEpoch >= 0 && fetched.LeaderEpoch != _state.LeaderEpoch)
            || !_followers.TryGetValue(fetched.ReplicaId, out var follower))
        {
            return;
        }
        var leaderEnd = _log.LogEndOffset;
        // Kafka's rule: caught up at this fetch if it asked for the log end; otherwise caught up as of
        // the previous fetch if it now asks for what was the log end then.
        if (fetched.FetchOffset >= leaderEnd)
        {
            follower.LastCaughtUpTimeMs = Math.Max(follower.LastCaughtUpTimeMs, fetched.FetchTimeMs);
        }
        else if (follower.LeaderEndOffsetAtLastFetch >= 0 && fetched.FetchOffset >= follower.LeaderEndOffsetAtLastFetch)
        {
            follower.LastCaughtUpTimeMs = Math.Max(follower.LastCaughtUpTimeMs, follower.LastFetchTimeMs);
        }
        follower.LogEndOffset = fetched.FetchOffset;
        follower.LeaderEndOffsetAtLastFetch = leaderEnd;
        follower.LastFetchTimeMs = fetched.FetchTimeMs;
        MaybeExpandIsr(fetched.ReplicaId, follower);
        MaybeIncrementHighWatermark();
    }

    /// <summary>HW = the smallest log end over the (maximal) ISR; never moves backwards. Raises DataAppended when it moved.</summary>
    private void MaybeIncrementHighWatermark()
    {
        if (TryIncrementHighWatermark())
        {
            _handle.RaiseDataAppended();
        }
    }

    /// <summary>Moves the HW if the ISR allows; true when it moved (the caller tells the watchers).</summary>
    private bool TryIncrementHighWatermark()
    {
        var isr = _state.Isr;
        var leaderEnd = _log.LogEndOffset;
        var newHw = leaderEnd;
        if (isr.Length > 1 || _pendingIsr is not null)
        {
            newHw = MinEndOffset(isr, newHw);
            if (_pendingIsr is { } pending)
            {
                newHw = MinEndOffset(pending, newHw);
            }
        }
        if (newHw > _log.HighWatermark)
        {
            _log.UpdateHighWatermark(newHw);
            return true;
        }
        return false;
    }

    private long MinEndOffset(ImmutableArray<int> isr, long min)
    {
        foreach (var replica in isr)
        {
            if (replica == _context!.NodeId)
            {
                continue;
            }
            var end = _followers.TryGetValue(replica, out var f) ? f.LogEndOffset : -1;
            min = Math.Min(min, end);
        }
        return min;
    }

    private void MaybeExpandIsr(int replicaId, FollowerPosition follower)
    {
        if (_pendingIsr is not null || _state.Isr.Contains(replicaId) || !_state.Replicas.Contains(replicaId)
            || _context!.IsBrokerEligible?.Invoke(replicaId) == false)
        {
            return;
        }
        // Caught up to the committed point, and in this leader's epoch (it cannot hold a divergent tail).
        if (follower.LogEndOffset >= _log.HighWatermark && follower.LogEndOffset >= _leaderEpochStartOffset)
        {
            ProposeIsr(_state.Isr.Add(replicaId));
        }
    }

    private void MaybeShrinkIsr()
    {
        if (!_state.IsLeader || _pendingIsr is not null)
        {
            return;
        }
        var now = _context!.NowMs;
        var leaderEnd = _log.LogEndOffset;
        var keep = ImmutableArray.CreateBuilder<int>();
        foreach (var replica in _state.Isr)
        {
            var lagging = replica != _context.NodeId
                && _followers.TryGetValue(replica, out var f)
                && f.LogEndOffset != leaderEnd
                && now - f.LastCaughtUpTimeMs > _context.ReplicaLagTimeMaxMs;
            if (!lagging)
            {
                keep.Add(replica);
            }
        }
        if (keep.Count < _state.Isr.Length)
        {
            ProposeIsr(keep.ToImmutable());
        }
    }

    private void ProposeIsr(ImmutableArray<int> newIsr)
    {
        if (_context!.AlterPartition is not { } sender)
        {
            return;
        }
        _pendingIsr = newIsr;
        var proposal = new AlterPartitionProposal(_context.NodeId, _handle.TopicId, _handle.TopicPartition.Topic, _handle.TopicPartition.Partition,
            _state.LeaderEpoch, _state.PartitionEpoch, newIsr);
        Log.LogInformation("partition {Partition} proposes ISR {NewIsr} (was {Isr}) at partition epoch {Epoch}",
            _handle.TopicPartition, string.Join(",", newIsr), string.Join(",", _state.Isr), _state.PartitionEpoch);
        sender.AlterPartitionAsync(proposal).PipeTo(Self,
            success: outcome => new AlterPartitionDone(proposal, outcome, null),
            failure: ex => new AlterPartitionDone(proposal, null, ex));
    }

    private void OnAlterPartitionDone(AlterPartitionDone done)
    {
        if (_pendingIsr is not { } pending || !pending.SequenceEqual(done.Proposal.NewIsr))
        {
            return; // superseded (a new image or epoch arrived first)
        }
        _pendingIsr = null;
        if (done.Outcome is { ErrorCode: ErrorCode.None } outcome)
        {
            if (_state.IsLeader && outcome.LeaderEpoch == _state.LeaderEpoch && outcome.PartitionEpoch > _state.PartitionEpoch)
            {
                PublishState(_state with { PartitionEpoch = outcome.PartitionEpoch, Isr = outcome.Isr });
            }
            MaybeIncrementHighWatermark();
            return;
        }
        // FENCED_LEADER_EPOCH / INVALID_UPDATE_VERSION: our view is stale and the image will bring the
        // new one; anything else is retried at the next check.
        Log.LogInformation("partition {Partition}: AlterPartition to ISR {Isr} failed: {Error}",
            _handle.TopicPartition, string.Join(",", done.Proposal.NewIsr), done.Outcome?.ErrorCode.ToString() ?? done.Failure?.Message);
    }
}
