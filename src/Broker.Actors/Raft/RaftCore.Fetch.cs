namespace Broker.Actors.Raft;

// Replication, KRaft style: followers pull with Fetch(fetchOffset, lastFetchedEpoch); the leader answers
// with entries, a diverging epoch (KIP-595: truncate and retry) or a snapshot id (FetchSnapshot).
// The leader's high watermark follows what a majority of voters has fetched in its epoch.
public sealed partial class RaftCore
{
    private readonly Dictionary<int, ReplicaProgress> _replicas = new();
    private readonly Dictionary<int, ParkedFetch> _parkedFetches = new();
    private readonly List<int> _expired = new();

    // Leader: the offset of this epoch's leader-change record; the HW only advances past it.
    private long _epochStartOffset;
    private long _beginQuorumSentMs;
    private long _firstUnflushedAppendMs = -1;

    // Follower: when to give up on the leader; the one fetch (or snapshot fetch) in flight.
    private long _fetchDeadlineMs;
    private long _pendingFetchId = -1;
    private long _pendingFetchSentMs;
    private bool _leaderResigned;
    private long _lastLeaderContactMs = long.MinValue / 2;

    private sealed class ReplicaProgress
    {
        public long EndOffset = -1;
        public long LastFetchMs = -1;
        public long LastCaughtUpMs = -1;
        public long LastSentHighWatermark = -1;
        public bool BeginQuorumAcknowledged;

        /// <summary>When we last answered this replica's fetch (successfully, in our epoch).</summary>
        public long LastResponseSentMs = long.MinValue;

        /// <summary>The end of the entries that answer carried (-1: none): a fetch below it did not see the answer.</summary>
        public long LastResponseEntriesEnd = -1;

        /// <summary>The latest answer this replica has demonstrably received: the one before its latest fetch
        /// (see <see cref="LeaderLeaseUntilMs"/>).</summary>
        public long AcknowledgedResponseMs = long.MinValue;
    }

    private readonly record struct ParkedFetch(RaftEnvelope Envelope, long FetchOffset, long DeadlineMs);

    private enum FetchValidation { Valid, Diverging, Snapshot }

    /// <summary>Appends a client entry if this node leads; returns its offset, or -1 when not the leader.
    /// The entry is flushed on the next tick and committed once a majority has fetched it.</summary>
    public long Propose(ReadOnlyMemory<byte> value, long nowMs)
    {
        AdvanceClock(nowMs);
        if (Role != RaftRole.Leader)
        {
            return -1;
        }
        var offset = _log.EndOffset;
        _log.Append(new RaftEntry(offset, Epoch, RaftRecordType.Data, value));
        if (_firstUnflushedAppendMs < 0)
        {
            _firstUnflushedAppendMs = _now;
        }
        CompleteParkedFetches();
        return offset;
    }

    private void HandleFetchRequest(in RaftEnvelope envelope, FetchRequest request)
    {
        if (Role != RaftRole.Leader)
        {
            Reply(envelope, FetchError(RaftErrors.NotLeaderOrFollower));
            return;
        }
        if (request.CurrentLeaderEpoch != Epoch)
        {
            Reply(envelope, FetchError(request.CurrentLeaderEpoch < Epoch ? RaftErrors.FencedLeaderEpoch : RaftErrors.UnknownLeaderEpoch));
            return;
        }
        if (request.MaxWaitMs > 0)
        {
            NoteFetchAcknowledges(envelope.Source, request.FetchOffset);
        }
        switch (ValidateFetch(request.FetchOffset, request.LastFetchedEpoch, out var boundary))
        {
            case FetchValidation.Snapshot:
                ReplyToFetch(envelope, new FetchResponse(RaftErrors.None, _highWatermark, _log.LogStartOffset, null,
                    new LeaderIdAndEpoch(NodeId, Epoch), boundary, NoEntries));
                return;
            case FetchValidation.Diverging:
                ReplyToFetch(envelope, new FetchResponse(RaftErrors.None, _highWatermark, _log.LogStartOffset, boundary,
                    new LeaderIdAndEpoch(NodeId, Epoch), null, NoEntries));
                return;
        }
        var replica = GetReplica(envelope.Source);
        // A fetch at offset N acknowledges everything below N (the follower flushed it before asking).
        replica.EndOffset = Math.Max(replica.EndOffset, request.FetchOffset);
        replica.LastFetchMs = _now;
        replica.BeginQuorumAcknowledged = true;
        if (request.FetchOffset >= _log.EndOffset)
        {
            replica.LastCaughtUpMs = _now;
        }
        _parkedFetches.Remove(envelope.Source);
        MaybeAdvanceHighWatermark();
        if (request.FetchOffset >= _log.EndOffset && replica.LastSentHighWatermark >= _highWatermark && request.MaxWaitMs > 0)
        {
            // Nothing new for this follower: long-poll until an append, a HW move or MaxWaitMs.
            _parkedFetches[envelope.Source] = new ParkedFetch(envelope, request.FetchOffset, _now + request.MaxWaitMs);
            return;
        }
        AnswerFetch(envelope, request.FetchOffset);
    }

    private FetchResponse FetchError(short error) =>
        new(error, _highWatermark, _log.LogStartOffset, null,
            new LeaderIdAndEpoch(Role == RaftRole.Leader ? NodeId : LeaderId == NodeId ? -1 : LeaderId, Epoch), null, NoEntries);

    /// <summary>
    /// Checks the follower's (fetchOffset, lastFetchedEpoch) against our log (KIP-595). Diverging gives the
    /// largest epoch &lt;= lastFetchedEpoch we hold and its end offset; Snapshot gives the snapshot to fetch.
    /// </summary>
    private FetchValidation ValidateFetch(long fetchOffset, int lastFetchedEpoch, out OffsetAndEpoch boundary)
    {
        var snapshot = _log.LatestSnapshot;
        var start = _log.LogStartOffset;
        if (snapshot is not null && start > 0
            && (fetchOffset < start || (fetchOffset == start && lastFetchedEpoch != snapshot.Id.Epoch) || lastFetchedEpoch < snapshot.Id.Epoch))
        {
            boundary = snapshot.Id;
            return FetchValidation.Snapshot;
        }
        var end = _log.EndOffsetForEpoch(lastFetchedEpoch);
        if (end.Epoch != lastFetchedEpoch || fetchOffset > end.Offset)
        {
            boundary = end;
            return FetchValidation.Diverging;
        }
        boundary = default;
        return FetchValidation.Valid;
    }

    private ReplicaProgress GetReplica(int replicaId)
    {
        if (!_replicas.TryGetValue(replicaId, out var replica))
        {
            replica = new ReplicaProgress(); // an observer
            _replicas[replicaId] = replica;
        }
        return replica;
    }

    private void AnswerFetch(in RaftEnvelope envelope, long fetchOffset)
    {
        var replica = GetReplica(envelope.Source);
        if (fetchOffset < _log.LogStartOffset && _log.LatestSnapshot is { } snapshot)
        {
            // A snapshot deleted the entries while the fetch was parked.
            ReplyToFetch(envelope, new FetchResponse(RaftErrors.None, _highWatermark, _log.LogStartOffset, null,
                new LeaderIdAndEpoch(NodeId, Epoch), snapshot.Id, NoEntries));
            return;
        }
        var count = (int)Math.Min(_config.FetchMaxEntries, _log.EndOffset - fetchOffset);
        var entries = count > 0 ? new RaftEntry[count] : NoEntries;
        if (count > 0)
        {
            _log.Read(fetchOffset, entries);
        }
        replica.LastSentHighWatermark = _highWatermark;
        ReplyToFetch(envelope, new FetchResponse(RaftErrors.None, _highWatermark, _log.LogStartOffset, null,
            new LeaderIdAndEpoch(NodeId, Epoch), null, entries));
    }

    private void CompleteParkedFetches()
    {
        if (_parkedFetches.Count == 0)
        {
            return;
        }
        // Sorted by replica id so the order of the outbox does not depend on dictionary layout.
        _expired.Clear();
        _expired.AddRange(_parkedFetches.Keys);
        _expired.Sort();
        foreach (var id in _expired)
        {
            var parked = _parkedFetches[id];
            _parkedFetches.Remove(id);
            AnswerFetch(parked.Envelope, parked.FetchOffset);
        }
    }

    /// <summary>The HW is the largest offset a majority of voters holds (the leader counting only what it
    /// flushed), and only moves past the start of the leader's own epoch: entries of earlier epochs commit
    /// by being below an entry of ours.</summary>
    private void MaybeAdvanceHighWatermark()
    {
        var voters = _config.Voters;
        Span<long> offsets = voters.Count <= 16 ? stackalloc long[voters.Count] : new long[voters.Count];
        for (var i = 0; i < voters.Count; i++)
        {
            offsets[i] = voters[i] == NodeId ? _log.FlushedEndOffset
                : _replicas.TryGetValue(voters[i], out var replica) ? replica.EndOffset : -1;
        }
        offsets.Sort();
        var majorityOffset = offsets[voters.Count - _config.Majority];
        if (majorityOffset > _epochStartOffset && majorityOffset > _highWatermark)
        {
            _highWatermark = majorityOffset;
            CompleteParkedFetches();
        }
    }

    private void TickLeader()
    {
        if (_log.FlushedEndOffset < _log.EndOffset && (_firstUnflushedAppendMs < 0 || _now - _firstUnflushedAppendMs >= _config.AppendLingerMs))
        {
            // The linger ends: one flush for everything appended meanwhile.
            _log.Flush();
            _firstUnflushedAppendMs = -1;
            MaybeAdvanceHighWatermark();
        }
        if (_parkedFetches.Count > 0)
        {
            _expired.Clear();
            foreach (var (id, parked) in _parkedFetches)
            {
                if (parked.DeadlineMs <= _now)
                {
                    _expired.Add(id);
                }
            }
            _expired.Sort();
            foreach (var id in _expired)
            {
                var parked = _parkedFetches[id];
                _parkedFetches.Remove(id);
                AnswerFetch(parked.Envelope, parked.FetchOffset);
            }
        }
        // Check-quorum: a leader that a majority no longer fetches from may be on the wrong side of a partition.
        var live = 1;
        foreach (var voter in _config.Voters)
        {
            if (voter != NodeId && _replicas.TryGetValue(voter, out var replica) && _now - replica.LastFetchMs < _config.FetchTimeoutMs)
            {
                live++;
            }
        }
        if (live < _config.Majority)
        {
            TransitionToResigned();
            return;
        }
        if (_now - _beginQuorumSentMs >= _config.RequestTimeoutMs)
        {
            SendBeginQuorumEpoch();
        }
    }

    private void BecomeFollowerState(bool heardFromLeader)
    {
        Role = RaftRole.Follower;
        _fetchDeadlineMs = _now + _config.FetchTimeoutMs;
        _heardFromLeaderAsFollower = heardFromLeader;
        if (heardFromLeader)
        {
            _lastLeaderContactMs = _now;
        }
        _pendingFetchId = -1;
        _leaderResigned = false;
    }

    private void TickFollower()
    {
        if (_now >= _fetchDeadlineMs)
        {
            if (_config.IsVoter(NodeId) && HasLiveLeader())
            {
                return; // our last fetch promised the leader one more fetch timeout: wait it out, sending nothing
            }
            StartElection();
            return;
        }
        if (_pendingFetchId < 0 || _now - _pendingFetchSentMs >= _config.RequestTimeoutMs)
        {
            if (_snapshotFetch is not null)
            {
                SendFetchSnapshot();
            }
            else
            {
                SendFetch();
            }
        }
    }

    private void SendFetch()
    {
        _pendingFetchSentMs = _now;
        var promises = _heardFromLeaderAsFollower && _leaderRefusedFetchEpoch != Epoch;
        if (promises)
        {
            _lastFetchToLeaderMs = _now;
        }
        // A fetch that promises nothing asks for an answer at once (MaxWaitMs 0), and the leader counts no lease on it:
        // sent without an answer since we (re)joined, it proves nothing about what we heard.
        _pendingFetchId = SendRequest(LeaderId, new FetchRequest(_config.ClusterId, NodeId, promises ? _config.FetchMaxWaitMs : 0, Epoch,
            _log.EndOffset, _log.LastEpoch, _log.LogStartOffset));
    }

    private void HandleFetchResponse(in RaftEnvelope envelope, FetchResponse response)
    {
        if (Role != RaftRole.Follower || envelope.CorrelationId != _pendingFetchId || envelope.Source != LeaderId)
        {
            // Not the answer to our outstanding fetch (late, duplicated, or from another epoch). An observer
            // looking for the leader also learns the leader of its own epoch from it.
            if (IsObserver)
            {
                ObserveLeader(response.CurrentLeader.LeaderId, response.CurrentLeader.LeaderEpoch);
            }
            else
            {
                ObserveLeaderIfNewer(response.CurrentLeader);
            }
            return;
        }
        _pendingFetchId = -1;
        if (response.ErrorCode != RaftErrors.None || response.CurrentLeader.LeaderEpoch != Epoch)
        {
            // Our leader does not lead our epoch (any more): it counts none of our fetches, so they promise nothing.
            _leaderRefusedFetchEpoch = Math.Max(_leaderRefusedFetchEpoch, Epoch);
            ObserveLeader(response.CurrentLeader.LeaderId, response.CurrentLeader.LeaderEpoch);
            return; // the next tick fetches again if we still follow
        }
        NoteLeaderContact();
        if (response.DivergingEpoch is { } diverging)
        {
            TruncateToDivergingEpoch(diverging);
            SendFetch();
            return;
        }
        if (response.SnapshotId is { } snapshotId)
        {
            _snapshotFetch = new SnapshotFetchState(snapshotId);
            SendFetchSnapshot();
            return;
        }
        var records = response.Records;
        if (records.Count > 0)
        {
            if (records[0].Offset != _log.EndOffset)
            {
                SendFetch();
                return;
            }
            for (var i = 0; i < records.Count; i++)
            {
                var entry = records[i];
                if (entry.Offset != _log.EndOffset || entry.Epoch < _log.LastEpoch || entry.Epoch > Epoch)
                {
                    break; // malformed: keep the valid prefix and fetch again from there
                }
                _log.Append(entry);
            }
            // Flush before the next fetch: its offset acknowledges these entries to the leader.
            _log.Flush();
        }
        UpdateFollowerHighWatermark(response.HighWatermark);
        SendFetch();
    }

    private void NoteLeaderContact()
    {
        _lastLeaderContactMs = _now;
        _heardFromLeaderAsFollower = true;
        if (!_leaderResigned)
        {
            _fetchDeadlineMs = _now + _config.FetchTimeoutMs;
        }
    }

    private void ObserveLeaderIfNewer(LeaderIdAndEpoch leader)
    {
        if (leader.LeaderEpoch > Epoch)
        {
            ObserveLeader(leader.LeaderId, leader.LeaderEpoch);
        }
    }

    /// <summary>KIP-595: cut our log where it may differ from the leader's, never below the HW.</summary>
    private void TruncateToDivergingEpoch(OffsetAndEpoch diverging)
    {
        var local = _log.EndOffsetForEpoch(diverging.Epoch);
        var target = Math.Min(diverging.Offset, local.Offset);
        if (target < _highWatermark)
        {
            throw new InvalidOperationException(
                $"node {NodeId}: leader {LeaderId} epoch {Epoch} asked to truncate to {target}, below the high watermark {_highWatermark}");
        }
        _log.TruncateTo(target);
    }

    private void UpdateFollowerHighWatermark(long leaderHighWatermark)
    {
        // Our log below min(leader HW, our end) matches the leader's: the fetch was validated.
        var hw = Math.Min(leaderHighWatermark, _log.EndOffset);
        if (hw > _highWatermark)
        {
            _highWatermark = hw;
        }
    }
}
