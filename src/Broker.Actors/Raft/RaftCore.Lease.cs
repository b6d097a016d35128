namespace Broker.Actors.Raft;

// The leader lease: how long the leader may act on its own authority (answer a broker heartbeat from its image)
// without a commit proving it still leads, and the promises of followers that make it safe.
//
// A follower promises not to help elect anyone else (grant a pre-vote or a vote, or stand itself) until
// controller.quorum.fetch.timeout.ms after it last heard from its leader or last sent it a fetch (once it has heard
// from it as its follower, and while the leader has refused none of its fetches). The leader
// counts, for each voter, the send time of the latest fetch answer the voter has demonstrably received: the
// answer before the voter's latest fetch (a fetch is sent after the previous answer arrives, or RequestTimeoutMs
// after the previous fetch was sent). Receipt times would not do: a paused leader reads, on resume, the fetches
// its followers sent before they gave up on it, and would count them as fresh.
//
// The lease lasts LeaderLeaseMs (half the fetch timeout) past the k-th freshest acknowledged answer, k being the
// majority with the leader counting itself. Any later leader needs the pre-votes of a majority, one of which made
// a promise that covers the lease. Safe as long as, within one fetch timeout, the clocks of two voters drift
// apart by less than the margin (fetch timeout - lease - FetchMaxWaitMs - one network delay, 500 ms by default)
// and a restarted voter keeps out of elections for one lease (it forgot its promise), and request.timeout.ms is at least
// fetch.timeout.ms (Kafka's defaults, 2 s each): a fetch resent sooner, queued at a paused leader together with the one
// it replaces, would acknowledge the answer to that one, which the follower never saw. Only with pre-vote: without
// it a voter grants a higher epoch's vote whatever it promised. Time is the core's: monotonic, fed by the caller.
public sealed partial class RaftCore
{
    // Follower: when it last sent a fetch to its leader (its promise runs FetchTimeoutMs from here too).
    private long _lastFetchToLeaderMs = long.MinValue / 2;

    // Follower: whether the leader answered us since we (last) became its follower. Until it has, our fetches promise
    // nothing (KIP-996: a voter that went back to following a silent leader after a failed pre-vote still grants
    // pre-votes; were its fetch a promise, two such voters would send each other back to the silent leader forever).
    private bool _heardFromLeaderAsFollower;

    // Follower: the epoch whose leader answered our fetch with an error (it does not lead that epoch, and never will
    // again), so no later fetch of ours in it counts towards a lease: they stop extending the promise, or followers of
    // a restarted ex-leader would never stand. Kept across roles: a prospective voter that goes back to following the
    // same leader (KIP-996) must not promise again.
    private int _leaderRefusedFetchEpoch = -1;

    // A restarted voter forgot the promises it made before: it keeps out of elections until this time.
    private readonly long _restartGuardUntilMs;

    /// <summary>How long an acknowledged fetch answer keeps the leader's lease (half the fetch timeout).</summary>
    public long LeaderLeaseMs => _config.FetchTimeoutMs / 2;

    /// <summary>
    /// While <see cref="Role"/> is Leader: the (core clock) time until which a majority of voters is known to
    /// follow this leader, so no other node can lead before then; <see cref="long.MinValue"/> when not the leader,
    /// <see cref="long.MaxValue"/> for a single voter. A pure function of the messages and ticks seen so far.
    /// </summary>
    public long LeaderLeaseUntilMs
    {
        get
        {
            if (Role != RaftRole.Leader)
            {
                return long.MinValue;
            }
            var voters = _config.Voters;
            var others = _config.Majority - 1; // the leader counts itself
            if (others <= 0)
            {
                return long.MaxValue;
            }
            Span<long> until = voters.Count <= 16 ? stackalloc long[voters.Count] : new long[voters.Count];
            var n = 0;
            foreach (var voter in voters)
            {
                if (voter != NodeId)
                {
                    var acked = _replicas.TryGetValue(voter, out var replica) ? replica.AcknowledgedResponseMs : long.MinValue;
                    until[n++] = acked == long.MinValue ? long.MinValue : acked + LeaderLeaseMs;
                }
            }
            until = until[..n];
            until.Sort();
            return until[n - others]; // the others-th largest
        }
    }

    /// <summary>A voter's fetch shows it received our previous answer (it fetches again only after one arrives,
    /// or a request timeout after its previous fetch).</summary>
    private void NoteFetchAcknowledges(int source, long fetchOffset)
    {
        // An answer that carried entries (or a snapshot id) is acknowledged only by a fetch past them: a fetch sent
        // before the answer arrived (a resend, or a duplicate, read in one burst with it after a pause) proves nothing.
        if (_replicas.TryGetValue(source, out var replica) && replica.LastResponseSentMs > replica.AcknowledgedResponseMs
            && fetchOffset >= replica.LastResponseEntriesEnd)
        {
            replica.AcknowledgedResponseMs = replica.LastResponseSentMs;
        }
    }

    private void ReplyToFetch(in RaftEnvelope envelope, FetchResponse response)
    {
        if (Role == RaftRole.Leader && response.ErrorCode == RaftErrors.None && _replicas.TryGetValue(envelope.Source, out var replica))
        {
            replica.LastResponseSentMs = _now;
            var records = response.Records;
            // A snapshot answer is taken in once the follower fetches from the snapshot's end.
            replica.LastResponseEntriesEnd = response.SnapshotId is { } snapshot ? snapshot.Offset
                : records.Count > 0 ? records[records.Count - 1].Offset + 1 : -1;
        }
        Reply(envelope, response);
    }

    /// <summary>A follower's promise (see above): it heard from, or fetched from, its leader within the fetch timeout.</summary>
    private bool HasLiveLeader() =>
        Role == RaftRole.Follower && !_leaderResigned
        && (_now - _lastLeaderContactMs < _config.FetchTimeoutMs || _now - _lastFetchToLeaderMs < _config.FetchTimeoutMs);

    /// <summary>Pre-vote only (the lease needs it): a restarted voter keeps out of elections for one lease.</summary>
    private bool InRestartGuard => _config.PreVote && _now < _restartGuardUntilMs;
}
