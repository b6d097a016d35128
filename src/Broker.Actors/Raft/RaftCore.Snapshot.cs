namespace Broker.Actors.Raft;

// Snapshots: the state machine above (the controller) freezes its state at a committed offset, the log
// behind it is deleted, and followers that fall behind the log start fetch the snapshot in chunks.
// Also DescribeQuorum, which reports the leader's view of the replicas.
public sealed partial class RaftCore
{
    private SnapshotFetchState? _snapshotFetch;

    private sealed class SnapshotFetchState(OffsetAndEpoch id)
    {
        public OffsetAndEpoch Id { get; } = id;
        public byte[]? Buffer { get; set; }
        public long Position { get; set; }
    }

    /// <summary>
    /// Stores <paramref name="data"/> as the snapshot of every entry below <paramref name="endOffset"/> and
    /// deletes those entries. Only committed state may be snapshotted: false when endOffset is above the HW
    /// or not inside the log.
    /// </summary>
    public bool CreateSnapshot(long endOffset, ReadOnlyMemory<byte> data)
    {
        if (endOffset > _highWatermark || endOffset <= _log.LogStartOffset || endOffset > _log.EndOffset)
        {
            return false;
        }
        var epoch = _log.Read(endOffset - 1).Epoch;
        _log.CreateSnapshot(new RaftSnapshot(new OffsetAndEpoch(endOffset, epoch), data));
        return true;
    }

    private void HandleFetchSnapshotRequest(in RaftEnvelope envelope, FetchSnapshotRequest request)
    {
        var leader = new LeaderIdAndEpoch(Role == RaftRole.Leader ? NodeId : LeaderId == NodeId ? -1 : LeaderId, Epoch);
        short error = Role != RaftRole.Leader ? RaftErrors.NotLeaderOrFollower
            : request.CurrentLeaderEpoch < Epoch ? RaftErrors.FencedLeaderEpoch
            : request.CurrentLeaderEpoch > Epoch ? RaftErrors.UnknownLeaderEpoch
            : RaftErrors.None;
        var snapshot = _log.LatestSnapshot;
        if (error == RaftErrors.None && (snapshot is null || snapshot.Id != request.SnapshotId))
        {
            error = RaftErrors.SnapshotNotFound;
        }
        if (error != RaftErrors.None)
        {
            Reply(envelope, new FetchSnapshotResponse(error, request.SnapshotId, leader, -1, -1, ReadOnlyMemory<byte>.Empty));
            return;
        }
        var data = snapshot!.Data;
        if (request.Position < 0 || request.Position > data.Length)
        {
            Reply(envelope, new FetchSnapshotResponse(RaftErrors.PositionOutOfRange, request.SnapshotId, leader, data.Length, request.Position, ReadOnlyMemory<byte>.Empty));
            return;
        }
        // A follower reading a snapshot is alive and following us, as far as check-quorum is concerned.
        GetReplica(envelope.Source).LastFetchMs = _now;
        var maxBytes = request.MaxBytes > 0 ? Math.Min(request.MaxBytes, _config.SnapshotChunkBytes) : _config.SnapshotChunkBytes;
        var position = (int)request.Position;
        var length = Math.Min(maxBytes, data.Length - position);
        Reply(envelope, new FetchSnapshotResponse(RaftErrors.None, snapshot.Id, leader, data.Length, position, data.Slice(position, length)));
    }

    private void SendFetchSnapshot()
    {
        var state = _snapshotFetch!;
        _pendingFetchSentMs = _now;
        _pendingFetchId = SendRequest(LeaderId, new FetchSnapshotRequest(_config.ClusterId, NodeId, _config.SnapshotChunkBytes, Epoch, state.Id, state.Position));
    }

    private void HandleFetchSnapshotResponse(in RaftEnvelope envelope, FetchSnapshotResponse response)
    {
        if (Role != RaftRole.Follower || envelope.CorrelationId != _pendingFetchId || envelope.Source != LeaderId || _snapshotFetch is null)
        {
            ObserveLeaderIfNewer(response.CurrentLeader);
            return;
        }
        _pendingFetchId = -1;
        if (response.ErrorCode == RaftErrors.SnapshotNotFound || response.ErrorCode == RaftErrors.PositionOutOfRange)
        {
            // The leader moved on to a newer snapshot: fetch again and it will name that one.
            _snapshotFetch = null;
            SendFetch();
            return;
        }
        if (response.ErrorCode != RaftErrors.None || response.CurrentLeader.LeaderEpoch != Epoch)
        {
            ObserveLeader(response.CurrentLeader.LeaderId, response.CurrentLeader.LeaderEpoch);
            return;
        }
        NoteLeaderContact();
        var state = _snapshotFetch;
        var chunk = response.UnalignedRecords;
        if (response.SnapshotId != state.Id || response.Position != state.Position
            || response.Size < 0 || response.Size > _config.MaxSnapshotBytes
            || (state.Buffer is not null && state.Buffer.Length != response.Size)
            || chunk.Length > response.Size - response.Position)
        {
            // Inconsistent with what we have: start this snapshot over.
            _snapshotFetch = new SnapshotFetchState(state.Id);
            SendFetchSnapshot();
            return;
        }
        state.Buffer ??= new byte[response.Size];
        chunk.Span.CopyTo(state.Buffer.AsSpan((int)state.Position));
        state.Position += chunk.Length;
        if (state.Position < state.Buffer.Length)
        {
            SendFetchSnapshot();
            return;
        }
        if (state.Id.Offset < _highWatermark)
        {
            throw new InvalidOperationException(
                $"node {NodeId}: snapshot {state.Id} from leader {LeaderId} ends below the high watermark {_highWatermark}");
        }
        _log.InstallSnapshot(new RaftSnapshot(state.Id, state.Buffer));
        _highWatermark = state.Id.Offset; // a snapshot holds only committed entries
        _snapshotFetch = null;
        SendFetch();
    }

    private void HandleDescribeQuorumRequest(in RaftEnvelope envelope)
    {
        if (Role != RaftRole.Leader)
        {
            Reply(envelope, new DescribeQuorumResponse(RaftErrors.NotLeaderOrFollower, LeaderId == NodeId ? -1 : LeaderId, Epoch, _highWatermark, [], []));
            return;
        }
        var voters = new List<ReplicaState>();
        var observers = new List<ReplicaState>();
        foreach (var voter in _config.Voters)
        {
            if (voter == NodeId)
            {
                voters.Add(new ReplicaState(NodeId, _log.EndOffset, -1, _now));
            }
            else
            {
                voters.Add(Describe(voter, _replicas.GetValueOrDefault(voter)));
            }
        }
        var ids = new List<int>(_replicas.Keys);
        ids.Sort();
        foreach (var id in ids)
        {
            if (!_config.IsVoter(id))
            {
                observers.Add(Describe(id, _replicas[id]));
            }
        }
        Reply(envelope, new DescribeQuorumResponse(RaftErrors.None, NodeId, Epoch, _highWatermark, voters, observers));
    }

    private static ReplicaState Describe(int id, ReplicaProgress? replica) =>
        replica is null ? new ReplicaState(id, -1, -1, -1) : new ReplicaState(id, replica.EndOffset, replica.LastFetchMs, replica.LastCaughtUpMs);
}
