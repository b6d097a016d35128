namespace Broker.Actors.Raft;

// Leader election: pre-vote (KIP-996), Vote, BeginQuorumEpoch, EndQuorumEpoch, resignation.
public sealed partial class RaftCore
{
    private readonly HashSet<int> _votesGranted = new();
    private readonly HashSet<int> _votesAnswered = new();
    // Responses with a correlation id below this belong to an earlier round and are ignored.
    private long _voteRoundStartId;
    private long _voteRequestSentMs;

    /// <summary>Gives up leadership gracefully (EndQuorumEpoch), e.g. before a controlled shutdown.</summary>
    public void Resign(long nowMs)
    {
        AdvanceClock(nowMs);
        if (Role == RaftRole.Leader)
        {
            TransitionToResigned();
        }
    }

    /// <summary>
    /// Whether a candidate whose log ends at (<paramref name="lastEpoch"/>, <paramref name="endOffset"/>)
    /// is at least as up to date as ours: higher last epoch wins, then the longer log.
    /// </summary>
    public bool IsLogUpToDate(int lastEpoch, long endOffset) =>
        lastEpoch > _log.LastEpoch || (lastEpoch == _log.LastEpoch && endOffset >= _log.EndOffset);

    private void StartElection()
    {
        if (!_config.IsVoter(NodeId))
        {
            DiscoverLeader();
            return;
        }
        if (InRestartGuard)
        {
            return; // the next tick after the guard stands
        }
        if (_config.PreVote && _config.Voters.Count > 1)
        {
            TransitionToProspective();
        }
        else
        {
            TransitionToCandidate();
        }
    }

    private void TransitionToProspective()
    {
        // No persisted change: a failed pre-vote leaves the epoch alone, which is the point of KIP-996.
        LeaveRole();
        Role = RaftRole.Prospective;
        StartVoteRound(preVote: true);
    }

    private void TransitionToCandidate()
    {
        LeaveRole();
        Persist(Epoch + 1, -1, NodeId);
        Role = RaftRole.Candidate;
        StartVoteRound(preVote: false);
        MaybeWinElection();
    }

    private void StartVoteRound(bool preVote)
    {
        _votesGranted.Clear();
        _votesAnswered.Clear();
        _votesGranted.Add(NodeId);
        _voteRoundStartId = _nextCorrelationId;
        _electionDeadlineMs = _now + RandomElectionTimeout();
        SendVoteRequests(preVote);
    }

    private void SendVoteRequests(bool preVote)
    {
        _voteRequestSentMs = _now;
        foreach (var voter in _config.Voters)
        {
            if (voter != NodeId && !_votesAnswered.Contains(voter))
            {
                SendRequest(voter, new VoteRequest(_config.ClusterId, voter, Epoch, NodeId, _log.LastEpoch, _log.EndOffset, preVote));
            }
        }
    }

    private void ResendVoteRequests()
    {
        if (_now - _voteRequestSentMs >= _config.RequestTimeoutMs)
        {
            SendVoteRequests(Role == RaftRole.Prospective);
        }
    }

    private void MaybeWinElection()
    {
        if (_votesGranted.Count < _config.Majority)
        {
            return;
        }
        if (Role == RaftRole.Prospective)
        {
            TransitionToCandidate();
        }
        else if (Role == RaftRole.Candidate)
        {
            TransitionToLeader();
        }
    }

    private void HandleVoteRequest(in RaftEnvelope envelope, VoteRequest request)
    {
        if (!_config.IsVoter(request.CandidateId) || !_config.IsVoter(NodeId))
        {
            Reply(envelope, new VoteResponse(RaftErrors.InconsistentVoterSet, LeaderId, Epoch, false));
            return;
        }
        if (request.PreVote)
        {
            // A pre-vote changes nothing here. Refuse it while our leader is alive (KIP-996), so a node
            // that was cut off cannot disrupt a healthy quorum when it comes back.
            var granted = request.CandidateEpoch >= Epoch
                          && Role != RaftRole.Leader
                          && !HasLiveLeader()
                          && !InRestartGuard
                          && IsLogUpToDate(request.LastOffsetEpoch, request.LastOffset);
            Reply(envelope, new VoteResponse(RaftErrors.None, LeaderId, Epoch, granted));
            return;
        }
        if (request.CandidateEpoch < Epoch)
        {
            Reply(envelope, new VoteResponse(RaftErrors.FencedLeaderEpoch, LeaderId, Epoch, false));
            return;
        }
        if (_config.PreVote && request.CandidateEpoch > Epoch && (HasLiveLeader() || InRestartGuard))
        {
            // Leader stickiness: the candidate passed its pre-vote, but we have since heard from (or fetched from)
            // our leader, whose lease may count on our promise; the epoch stays, so the lease holds.
            Reply(envelope, new VoteResponse(RaftErrors.None, LeaderId, Epoch, false));
            return;
        }
        if (request.CandidateEpoch > Epoch)
        {
            TransitionToUnattached(request.CandidateEpoch, -1);
        }
        bool grant;
        if (VotedId == request.CandidateId)
        {
            grant = true; // a duplicate or retried request: same answer
        }
        else if (VotedId >= 0 || LeaderId >= 0 || Role is RaftRole.Candidate or RaftRole.Leader)
        {
            grant = false; // one vote per epoch, and none once the epoch has a leader
        }
        else
        {
            grant = IsLogUpToDate(request.LastOffsetEpoch, request.LastOffset);
            if (grant)
            {
                Persist(Epoch, -1, request.CandidateId); // durable before the grant leaves
                _electionDeadlineMs = _now + RandomElectionTimeout();
            }
        }
        Reply(envelope, new VoteResponse(RaftErrors.None, LeaderId, Epoch, grant));
    }

    private void HandleVoteResponse(in RaftEnvelope envelope, VoteResponse response)
    {
        if (response.LeaderEpoch > Epoch)
        {
            ObserveLeader(response.LeaderId, response.LeaderEpoch);
            return;
        }
        if (Role is not (RaftRole.Prospective or RaftRole.Candidate) || envelope.CorrelationId < _voteRoundStartId)
        {
            return;
        }
        if (Role == RaftRole.Candidate && response.LeaderEpoch < Epoch)
        {
            return; // an answer to an earlier round's request, not to our vote request
        }
        _votesAnswered.Add(envelope.Source);
        if (response.ErrorCode == RaftErrors.None && response.VoteGranted)
        {
            _votesGranted.Add(envelope.Source);
            MaybeWinElection();
        }
        else if (Role == RaftRole.Prospective && response.LeaderEpoch == Epoch && response.LeaderId >= 0
                 && response.LeaderId != NodeId && response.LeaderId == LeaderId)
        {
            // KIP-996: a voter still follows our old leader, so it may be alive and only our link was bad.
            // Go back to fetching from it; we have not heard from it, so we still grant others' pre-votes.
            LeaveRole();
            BecomeFollowerState(heardFromLeader: false);
            SendFetch();
        }
        else
        {
            ObserveLeader(response.LeaderId, response.LeaderEpoch);
        }
    }

    private void HandleBeginQuorumEpochRequest(in RaftEnvelope envelope, BeginQuorumEpochRequest request)
    {
        if (!_config.IsVoter(request.LeaderId))
        {
            Reply(envelope, new BeginQuorumEpochResponse(RaftErrors.InconsistentVoterSet, LeaderId, Epoch));
            return;
        }
        if (request.LeaderEpoch < Epoch)
        {
            Reply(envelope, new BeginQuorumEpochResponse(RaftErrors.FencedLeaderEpoch, LeaderId, Epoch));
            return;
        }
        if (request.LeaderEpoch > Epoch || (LeaderId < 0 && request.LeaderId != NodeId))
        {
            TransitionToFollower(request.LeaderEpoch, request.LeaderId);
        }
        Reply(envelope, new BeginQuorumEpochResponse(RaftErrors.None, LeaderId, Epoch));
    }

    private void HandleBeginQuorumEpochResponse(in RaftEnvelope envelope, BeginQuorumEpochResponse response)
    {
        if (response.LeaderEpoch > Epoch)
        {
            ObserveLeader(response.LeaderId, response.LeaderEpoch);
            return;
        }
        if (Role == RaftRole.Leader && response.ErrorCode == RaftErrors.None && response.LeaderEpoch == Epoch
            && _replicas.TryGetValue(envelope.Source, out var replica))
        {
            replica.BeginQuorumAcknowledged = true;
        }
    }

    private void HandleEndQuorumEpochRequest(in RaftEnvelope envelope, EndQuorumEpochRequest request)
    {
        if (request.LeaderEpoch < Epoch)
        {
            Reply(envelope, new EndQuorumEpochResponse(RaftErrors.FencedLeaderEpoch, LeaderId, Epoch));
            return;
        }
        if (request.LeaderEpoch > Epoch)
        {
            TransitionToUnattached(request.LeaderEpoch, -1);
        }
        else if (Role == RaftRole.Follower && LeaderId == request.LeaderId && !_leaderResigned)
        {
            // The leader is gone: stand for election soon, the most caught-up successor first.
            _leaderResigned = true;
            var position = IndexOf(request.PreferredSuccessors, NodeId);
            var backoff = position < 0 ? _config.ElectionBackoffMaxMs : position * _config.ElectionBackoffMaxMs / Math.Max(1, _config.Voters.Count);
            _fetchDeadlineMs = Math.Min(_fetchDeadlineMs, _now + backoff + _random.Next(Math.Max(1, _config.ElectionBackoffMaxMs / 10)));
        }
        Reply(envelope, new EndQuorumEpochResponse(RaftErrors.None, LeaderId, Epoch));
    }

    /// <summary>
    /// The runtime found the leader's process gone (a request to it broke and its port now refuses connections,
    /// which a paused or cut-off leader's does not): stand for election soon, as after the leader's
    /// EndQuorumEpoch, instead of waiting out <c>controller.quorum.fetch.timeout.ms</c>. The other followers
    /// see the same closed connections, so they grant the pre-vote; voters stand in id order, spread over the
    /// election backoff, so they rarely split the vote.
    /// </summary>
    public void LeaderGone(int leaderId, long nowMs)
    {
        AdvanceClock(nowMs);
        if (Role != RaftRole.Follower || LeaderId != leaderId || _leaderResigned)
        {
            return;
        }
        _leaderResigned = true;
        var rank = 0;
        foreach (var voter in _config.Voters)
        {
            if (voter != leaderId && voter < NodeId)
            {
                rank++;
            }
        }
        var slot = _config.ElectionBackoffMaxMs / Math.Max(1, _config.Voters.Count);
        var backoff = rank * slot + _random.Next(Math.Max(1, _config.ElectionBackoffMaxMs / 10));
        _fetchDeadlineMs = Math.Min(_fetchDeadlineMs, _now + backoff);
    }

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }
        return -1;
    }

    private void TransitionToLeader()
    {
        LeaveRole();
        Persist(Epoch, NodeId, NodeId);
        Role = RaftRole.Leader;
        _epochStartOffset = _log.EndOffset;
        foreach (var voter in _config.Voters)
        {
            if (voter != NodeId)
            {
                // Each voter gets a fetch-timeout of grace before check-quorum counts it as silent.
                _replicas[voter] = new ReplicaProgress { LastFetchMs = _now };
            }
        }
        // The leader-change control record opens the epoch; the HW may only pass it (entries of our own epoch).
        var granting = new List<int>(_votesGranted);
        granting.Sort();
        _log.Append(new RaftEntry(_epochStartOffset, Epoch, RaftRecordType.LeaderChange,
            LeaderChangeMessage.Encode(NodeId, _config.Voters, granting)));
        SendBeginQuorumEpoch();
    }

    private void SendBeginQuorumEpoch()
    {
        _beginQuorumSentMs = _now;
        foreach (var (voter, replica) in _replicas)
        {
            if (!replica.BeginQuorumAcknowledged && _config.IsVoter(voter))
            {
                SendRequest(voter, new BeginQuorumEpochRequest(_config.ClusterId, voter, NodeId, Epoch));
            }
        }
    }

    private void TransitionToResigned()
    {
        // Preferred successors: the voters that have fetched the most, so the next leader needs little catch-up.
        var successors = new List<(long, int)>();
        foreach (var (id, replica) in _replicas)
        {
            if (_config.IsVoter(id))
            {
                successors.Add((-replica.EndOffset, id));
            }
        }
        successors.Sort();
        var preferred = new int[successors.Count];
        for (var i = 0; i < preferred.Length; i++)
        {
            preferred[i] = successors[i].Item2;
        }
        LeaveRole();
        Role = RaftRole.Resigned;
        _electionDeadlineMs = _now + RandomElectionTimeout();
        foreach (var voter in _config.Voters)
        {
            if (voter != NodeId)
            {
                SendRequest(voter, new EndQuorumEpochRequest(_config.ClusterId, NodeId, Epoch, preferred));
            }
        }
    }
}
