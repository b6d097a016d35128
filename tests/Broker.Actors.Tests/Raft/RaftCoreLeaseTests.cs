using Broker.Actors.Raft;

namespace Broker.Actors.Tests.Raft;

/// <summary>The leader lease (<see cref="RaftCore.LeaderLeaseUntilMs"/>) and the follower promises behind it.
/// The harness runs a 3-voter quorum with a 1000 ms fetch timeout: the lease is 500 ms.</summary>
public sealed class RaftCoreLeaseTests
{
    // MaxWaitMs 1: a fetch that long-polls is one a follower sends under its promise (0: one that promises nothing).
    private static FetchRequest Fetch(int replica, int leaderEpoch, long offset, int lastEpoch, int maxWaitMs = 1) =>
        new(null, replica, maxWaitMs, leaderEpoch, offset, lastEpoch, 0);

    private static VoteRequest Vote(int candidate, int epoch, bool preVote) => new(null, 1, epoch, candidate, 0, 0, preVote);

    private static RaftCoreHarness Leader()
    {
        var h = new RaftCoreHarness();
        h.ElectSelf();
        h.Tick(1); // flush the leader-change record
        return h;
    }

    [Fact]
    public void ALeaderHoldsALeaseOnlyOnceAMajorityAcknowledgedAnAnswer()
    {
        var h = Leader();
        Assert.Equal(long.MinValue, h.Core.LeaderLeaseUntilMs);

        // The first fetch proves nothing about what voter 2 heard from us; our answer to it is sent now.
        var answeredAt = h.Now;
        h.Deliver(2, Fetch(2, h.Core.Epoch, 0, 0));
        Assert.Equal(long.MinValue, h.Core.LeaderLeaseUntilMs);

        // Its next fetch comes after that answer arrived: until then + 500 ms nobody else can be elected.
        h.Now += 30;
        h.Deliver(2, Fetch(2, h.Core.Epoch, h.Log.EndOffset, h.Log.LastEpoch));
        Assert.Equal(answeredAt + 500, h.Core.LeaderLeaseUntilMs);
    }

    [Fact]
    public void AFetchReadAfterAPauseDoesNotRenewTheLease()
    {
        var h = Leader();
        h.Deliver(2, Fetch(2, h.Core.Epoch, 0, 0));
        var lastAnswer = h.Now;
        // Paused (SIGSTOP) for 5 s: on resume the process reads the fetch voter 2 sent right after our last answer,
        // long before it gave up on us. Counting its arrival time would grant a lease to a deposed leader.
        h.Now += 5_000;
        h.Deliver(2, Fetch(2, h.Core.Epoch, h.Log.EndOffset, h.Log.LastEpoch));
        Assert.Equal(RaftRole.Leader, h.Core.Role); // check-quorum runs on the next tick
        Assert.Equal(lastAnswer + 500, h.Core.LeaderLeaseUntilMs);
        Assert.True(h.Core.LeaderLeaseUntilMs < h.Now);
    }

    [Fact]
    public void AFetchThatPromisesNothingOrShowsTheAnswerMissedAcknowledgesNothing()
    {
        var h = Leader();
        h.Deliver(2, Fetch(2, h.Core.Epoch, 0, 0)); // answered with the leader-change record
        // Still at offset 0: sent before that answer arrived (a resend or a duplicate read in one burst with the first).
        h.Deliver(2, Fetch(2, h.Core.Epoch, 0, 0));
        Assert.Equal(long.MinValue, h.Core.LeaderLeaseUntilMs);
        // MaxWaitMs 0: a follower that has not heard from us since it (re)joined (restarted, or back from a failed
        // pre-vote): it grants pre-votes meanwhile, so its fetch holds no lease.
        h.Deliver(2, Fetch(2, h.Core.Epoch, h.Log.EndOffset, h.Log.LastEpoch, maxWaitMs: 0));
        Assert.Equal(long.MinValue, h.Core.LeaderLeaseUntilMs);
        var answeredAt = h.Now;
        h.Now += 10;
        h.Deliver(2, Fetch(2, h.Core.Epoch, h.Log.EndOffset, h.Log.LastEpoch));
        Assert.Equal(answeredAt + 500, h.Core.LeaderLeaseUntilMs);
    }

    [Fact]
    public void ASingleVoterAlwaysHoldsItsLeaseAndANonLeaderNever()
    {
        var single = new RaftCoreHarness(voters: 1);
        single.Tick(1000);
        Assert.Equal(RaftRole.Leader, single.Core.Role);
        Assert.Equal(long.MaxValue, single.Core.LeaderLeaseUntilMs);

        var follower = new RaftCoreHarness();
        follower.Follow(leader: 2, epoch: 1);
        Assert.Equal(long.MinValue, follower.Core.LeaderLeaseUntilMs);
    }

    [Fact]
    public void AFollowerKeepsItsPromiseForAFetchTimeoutAfterItsLastFetch()
    {
        var h = new RaftCoreHarness(preVote: true);
        h.Tick(600); // past the restart guard
        var fetch = Assert.Single(h.Deliver(2, new BeginQuorumEpochRequest(null, 1, 2, 3)), e => e.Message is FetchRequest);
        // An answer at 900 is the last word from the leader; the next fetch goes out at once.
        h.Now = 900;
        var next = h.Deliver(2, new FetchResponse(RaftErrors.None, 0, 0, null, new LeaderIdAndEpoch(2, 3), null, []), fetch.CorrelationId);
        Assert.Contains(next, e => e.Message is FetchRequest);

        // Neither a pre-vote nor (leader stickiness) a vote of a higher epoch while the promise runs.
        h.Now = 1_850;
        Assert.False(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 3, preVote: true))).VoteGranted);
        Assert.False(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 4, preVote: false))).VoteGranted);
        Assert.Equal(3, h.Core.Epoch);

        // A fetch timeout after the last answer (and the fetch that followed it) the promise is kept: it stands.
        var sent = h.Tick(1_900 - h.Now);
        Assert.Equal(RaftRole.Prospective, h.Core.Role);
        Assert.Contains(sent, e => e.Message is VoteRequest { PreVote: true });
    }

    [Fact]
    public void AFollowerThatResendsItsFetchStandsOnlyAFetchTimeoutAfterTheResend()
    {
        // With request.timeout < fetch.timeout a follower resends an unanswered fetch; the leader may count that
        // resend as acknowledging an answer the follower never got, so the resend extends the promise.
        var h = new RaftCoreHarness(preVote: true);
        h.Tick(600); // past the restart guard
        h.Follow(leader: 2, epoch: 3); // contact and fetch at 600
        var resend = h.Tick(500); // 1100: request timeout (500) without an answer
        Assert.Contains(resend, e => e.Message is FetchRequest);
        Assert.Empty(h.Tick(500)); // 1600: fetch deadline, but the resend at 1100 promised until 2100; nothing is sent
        Assert.Equal(RaftRole.Follower, h.Core.Role);
        Assert.False(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 3, preVote: true))).VoteGranted);
        h.Tick(500); // 2100
        Assert.Equal(RaftRole.Prospective, h.Core.Role);
    }

    [Fact]
    public void ARestartedVoterKeepsOutOfElectionsForOneLease()
    {
        // It may have acknowledged an answer just before it crashed: the leader's lease counts on a promise it forgot.
        var h = new RaftCoreHarness(preVote: true, now: 10_000);
        Assert.False(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 1, preVote: true))).VoteGranted);
        Assert.False(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 1, preVote: false))).VoteGranted);
        Assert.DoesNotContain(h.Tick(499), e => e.Message is VoteRequest);
        h.Now += 1;
        Assert.True(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 1, preVote: true))).VoteGranted);
    }
}
