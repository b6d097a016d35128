using Broker.Actors.Raft;

namespace Broker.Actors.Tests.Raft;

public sealed class RaftCoreElectionTests
{
    private static VoteRequest Vote(int candidate, int epoch, int lastEpoch, long endOffset, bool preVote = false) =>
        new(null, 1, epoch, candidate, lastEpoch, endOffset, preVote);

    [Fact]
    public void GrantsAVoteAndPersistsItBeforeAnswering()
    {
        var h = new RaftCoreHarness();
        h.Seed(1, 1);
        var response = h.Single<VoteResponse>(h.Deliver(2, Vote(2, epoch: 2, lastEpoch: 1, endOffset: 2)));
        Assert.True(response.VoteGranted);
        Assert.Equal(2, response.LeaderEpoch);
        Assert.Equal(new QuorumStateData(2, -1, 2), h.Store.Read());
        Assert.Equal(RaftRole.Unattached, h.Core.Role);
    }

    [Theory]
    [InlineData(1, 10, false)] // longer log but an older last epoch: not up to date
    [InlineData(2, 3, false)]  // same last epoch, shorter log
    [InlineData(2, 4, true)]   // identical
    [InlineData(2, 9, true)]   // same last epoch, longer log
    [InlineData(3, 1, true)]   // newer last epoch wins even when shorter
    public void UpToDateComparesTheLastEpochFirstThenTheEndOffset(int lastEpoch, long endOffset, bool granted)
    {
        var h = new RaftCoreHarness();
        h.Seed(1, 1, 1, 2);
        Assert.Equal(granted, h.Core.IsLogUpToDate(lastEpoch, endOffset));
        var response = h.Single<VoteResponse>(h.Deliver(2, Vote(2, epoch: 5, lastEpoch, endOffset)));
        Assert.Equal(granted, response.VoteGranted);
        Assert.Equal(granted ? 2 : -1, h.Store.Read().VotedId);
        Assert.Equal(5, h.Store.Read().LeaderEpoch); // the higher epoch is adopted either way
    }

    [Fact]
    public void VotesOncePerEpochAndRepeatsTheSameAnswerToDuplicates()
    {
        var h = new RaftCoreHarness();
        Assert.True(h.Single<VoteResponse>(h.Deliver(2, Vote(2, 1, 0, 0))).VoteGranted);
        Assert.False(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 1, 0, 0))).VoteGranted);
        Assert.True(h.Single<VoteResponse>(h.Deliver(2, Vote(2, 1, 0, 0))).VoteGranted);
        Assert.True(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 2, 0, 0))).VoteGranted); // a new epoch, a new vote
    }

    [Fact]
    public void AVoteSurvivesARestart()
    {
        var h = new RaftCoreHarness();
        Assert.True(h.Single<VoteResponse>(h.Deliver(2, Vote(2, 1, 0, 0))).VoteGranted);
        var restarted = new RaftCoreHarness(log: h.Log, store: h.Store);
        Assert.False(restarted.Single<VoteResponse>(restarted.Deliver(3, Vote(3, 1, 0, 0))).VoteGranted);
        Assert.Equal(2, restarted.Core.VotedId);
    }

    [Fact]
    public void RejectsAStaleEpochWithItsOwnEpoch()
    {
        var store = new InMemoryQuorumStateStore();
        store.Write(new QuorumStateData(5, -1, -1));
        var h = new RaftCoreHarness(store: store);
        var response = h.Single<VoteResponse>(h.Deliver(2, Vote(2, 4, 9, 100)));
        Assert.False(response.VoteGranted);
        Assert.Equal(RaftErrors.FencedLeaderEpoch, response.ErrorCode);
        Assert.Equal(5, response.LeaderEpoch);
    }

    [Fact]
    public void RejectsCandidatesOutsideTheVoterSet()
    {
        var h = new RaftCoreHarness();
        var response = h.Single<VoteResponse>(h.Deliver(7, Vote(7, 1, 0, 0)));
        Assert.Equal(RaftErrors.InconsistentVoterSet, response.ErrorCode);
        Assert.Equal(0, h.Store.Writes);
    }

    [Fact]
    public void RequestsFromAnotherClusterAreRejectedAndChangeNothing()
    {
        var h = new RaftCoreHarness(clusterId: "cluster-a");
        var response = h.Single<VoteResponse>(h.Deliver(2, new VoteRequest("cluster-b", 1, 5, 2, 9, 9, false)));
        Assert.Equal(RaftErrors.InconsistentClusterId, response.ErrorCode);
        Assert.False(response.VoteGranted);
        Assert.Equal(0, h.Core.Epoch);
        var fetch = h.Single<FetchResponse>(h.Deliver(2, new FetchRequest("cluster-b", 2, 0, 0, 0, 0, 0)));
        Assert.Equal(RaftErrors.InconsistentClusterId, fetch.ErrorCode);
        Assert.True(h.Single<VoteResponse>(h.Deliver(2, new VoteRequest("cluster-a", 1, 5, 2, 9, 9, false))).VoteGranted);
        Assert.True(h.Single<VoteResponse>(h.Deliver(3, new VoteRequest(null, 1, 6, 3, 9, 9, false))).VoteGranted); // unknown id: accepted
    }

    [Fact]
    public void PreVoteChangesNothingAndIsRefusedWhileTheLeaderIsAlive()
    {
        var h = new RaftCoreHarness(preVote: true);
        h.Follow(leader: 2, epoch: 3);
        var writes = h.Store.Writes;
        Assert.False(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 3, 0, 0, preVote: true))).VoteGranted);
        Assert.Equal(writes, h.Store.Writes);

        // The leader goes quiet for a fetch timeout: we become prospective (no epoch bump) and grant pre-votes.
        var sent = h.Tick(1001);
        Assert.Equal(RaftRole.Prospective, h.Core.Role);
        Assert.Equal(3, h.Core.Epoch);
        Assert.All(sent.Select(e => e.Message).OfType<VoteRequest>(), v => Assert.True(v.PreVote));
        Assert.True(h.Single<VoteResponse>(h.Deliver(3, Vote(3, 3, 0, 0, preVote: true))).VoteGranted);
        Assert.Equal(writes, h.Store.Writes);
    }

    [Fact]
    public void ProspectiveBecomesCandidateOnlyWithAMajorityOfPreVotes()
    {
        var h = new RaftCoreHarness(preVote: true);
        var requests = h.Tick(1000);
        Assert.Equal(RaftRole.Prospective, h.Core.Role);
        Assert.Equal(0, h.Core.Epoch);
        h.Deliver(2, new VoteResponse(RaftErrors.None, -1, 0, true), requests[0].CorrelationId);
        Assert.Equal(RaftRole.Candidate, h.Core.Role);
        Assert.Equal(new QuorumStateData(1, -1, 1), h.Store.Read());
    }

    [Fact]
    public void CandidateWithAMajorityLeadsWritesALeaderChangeRecordAndAnnouncesItself()
    {
        var h = new RaftCoreHarness();
        var requests = h.Tick(1000);
        Assert.Equal(RaftRole.Candidate, h.Core.Role);
        Assert.Equal(new QuorumStateData(1, -1, 1), h.Store.Read());
        Assert.Equal(2, requests.Count);
        var sent = h.Deliver(2, new VoteResponse(RaftErrors.None, -1, 1, true), requests[0].CorrelationId);

        Assert.Equal(RaftRole.Leader, h.Core.Role);
        Assert.Equal(new QuorumStateData(1, 1, 1), h.Store.Read());
        var record = h.Log.Read(0);
        Assert.Equal(RaftRecordType.LeaderChange, record.Type);
        Assert.Equal(1, record.Epoch);
        var message = LeaderChangeMessage.Decode(record.Value.Span);
        Assert.Equal(1, message.LeaderId);
        Assert.Equal([1, 2], message.GrantingVoters);
        Assert.Equal([2, 3], sent.Where(e => e.Message is BeginQuorumEpochRequest).Select(e => e.Destination).Order());
    }

    [Fact]
    public void StaleVoteResponsesFromAnEarlierRoundDoNotCount()
    {
        var h = new RaftCoreHarness();
        var first = h.Tick(1000); // candidate in epoch 1
        h.Tick(1000);             // election timeout: candidate in epoch 2
        Assert.Equal(2, h.Core.Epoch);
        h.Deliver(2, new VoteResponse(RaftErrors.None, -1, 1, true), first[0].CorrelationId);
        Assert.Equal(RaftRole.Candidate, h.Core.Role);
    }

    [Fact]
    public void ARestartedLeaderNeverLeadsItsEpochAgain()
    {
        var h = new RaftCoreHarness();
        h.ElectSelf();
        var restarted = new RaftCoreHarness(log: h.Log, store: h.Store);
        Assert.Equal(RaftRole.Resigned, restarted.Core.Role);
        Assert.Equal(1, restarted.Core.Epoch);
        restarted.Tick(1000);
        Assert.Equal(RaftRole.Candidate, restarted.Core.Role);
        Assert.Equal(2, restarted.Core.Epoch);
    }

    [Fact]
    public void ASingleVoterElectsItselfAndCommitsItsLeaderChange()
    {
        var h = new RaftCoreHarness(voters: 1);
        h.Tick(1000);
        Assert.Equal(RaftRole.Leader, h.Core.Role);
        h.Tick(1);
        Assert.Equal(1, h.Core.HighWatermark);
    }

    [Fact]
    public void AFollowerStandsSoonAfterItsLeaderResigns()
    {
        var h = new RaftCoreHarness(nodeId: 2);
        h.Follow(leader: 1, epoch: 1);
        var response = h.Single<EndQuorumEpochResponse>(h.Deliver(1, new EndQuorumEpochRequest(null, 1, 1, [2, 3])));
        Assert.Equal(RaftErrors.None, response.ErrorCode);
        h.Tick(101); // first preferred successor: within a tenth of the backoff, far before the fetch timeout
        Assert.Equal(RaftRole.Candidate, h.Core.Role);
        Assert.Equal(2, h.Core.Epoch);
    }

    [Fact]
    public void AFollowerStandsSoonAfterItsLeadersProcessIsGoneAndGrantsAPreVoteMeanwhile()
    {
        // Node 2 is the lowest surviving id: first in line, within a tenth of the backoff.
        var h = new RaftCoreHarness(nodeId: 2, preVote: true);
        h.Now = 500; // past the restart guard: a started voter keeps out of elections for one lease
        h.Follow(leader: 1, epoch: 1);
        h.Core.LeaderGone(leaderId: 1, h.Now);
        var vote = h.Single<VoteResponse>(h.Deliver(3, new VoteRequest(null, 2, 1, 3, 0, 0, PreVote: true)));
        Assert.True(vote.VoteGranted); // its leader is gone: no live leader to protect
        h.Tick(101);
        Assert.Equal(RaftRole.Prospective, h.Core.Role);

        // A gone report about another member, or a leader only slow to answer, changes nothing.
        var other = new RaftCoreHarness(nodeId: 3, preVote: true);
        other.Follow(leader: 1, epoch: 1);
        other.Core.LeaderGone(leaderId: 2, other.Now);
        other.Tick(500); // half the harness's fetch timeout
        Assert.Equal(RaftRole.Follower, other.Core.Role);
        var refused = other.Single<VoteResponse>(other.Deliver(2, new VoteRequest(null, 3, 1, 2, 0, 0, PreVote: true)));
        Assert.False(refused.VoteGranted);
    }

    [Fact]
    public void ALeaderThatAMajorityStopsFetchingFromResigns()
    {
        var h = new RaftCoreHarness();
        h.ElectSelf();
        h.Tick(500);
        h.Deliver(2, new FetchRequest(null, 2, 0, 1, 1, 1, 0));
        h.Tick(900); // 1400 ms after election: node 3 silent, node 2 fetched 900 ms ago
        Assert.Equal(RaftRole.Leader, h.Core.Role);
        var sent = h.Tick(200); // node 2 silent for 1100 ms too
        Assert.Equal(RaftRole.Resigned, h.Core.Role);
        var end = sent.Select(e => e.Message).OfType<EndQuorumEpochRequest>().ToList();
        Assert.Equal(2, end.Count);
        Assert.Equal([2, 3], end[0].PreferredSuccessors);
    }

    [Fact]
    public void AHigherEpochInAnyResponseMakesALeaderStepDown()
    {
        var h = new RaftCoreHarness();
        h.ElectSelf();
        h.Deliver(2, new BeginQuorumEpochResponse(RaftErrors.FencedLeaderEpoch, 3, 4));
        Assert.Equal(RaftRole.Follower, h.Core.Role);
        Assert.Equal(new QuorumStateData(4, 3, -1), h.Store.Read());
    }
}
