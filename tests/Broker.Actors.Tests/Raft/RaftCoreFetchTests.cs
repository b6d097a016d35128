using Broker.Actors.Raft;

namespace Broker.Actors.Tests.Raft;

public sealed class RaftCoreFetchTests
{
    private static FetchRequest Fetch(int replica, int leaderEpoch, long offset, int lastEpoch, int maxWaitMs = 0) =>
        new(null, replica, maxWaitMs, leaderEpoch, offset, lastEpoch, 0);

    private static FetchResponse Answer(int leader, int epoch, long hw, OffsetAndEpoch? diverging, params RaftEntry[] records) =>
        new(RaftErrors.None, hw, 0, diverging, new LeaderIdAndEpoch(leader, epoch), null, records);

    private static RaftEntry Entry(long offset, int epoch) => new(offset, epoch, RaftRecordType.Data, new byte[] { (byte)offset });

    /// <summary>A leader in epoch 3 whose log holds epochs [1, 1, 1, 3(leader change)].</summary>
    private static RaftCoreHarness LeaderOverOldEntries(params int[] oldEpochs)
    {
        var store = new InMemoryQuorumStateStore();
        store.Write(new QuorumStateData(2, -1, -1));
        var h = new RaftCoreHarness(store: store);
        h.Seed(oldEpochs);
        h.ElectSelf();
        Assert.Equal(3, h.Core.Epoch);
        h.Tick(1); // flush the leader-change record
        return h;
    }

    [Fact]
    public void LeaderAnswersAFetchThatDivergesWithTheLargestCommonEpochAndItsEnd()
    {
        var h = LeaderOverOldEntries(1, 1, 1);
        var response = h.Single<FetchResponse>(h.Deliver(2, Fetch(2, 3, offset: 5, lastEpoch: 2)));
        Assert.Equal(new OffsetAndEpoch(3, 1), response.DivergingEpoch);
        Assert.Empty(response.Records);

        response = h.Single<FetchResponse>(h.Deliver(2, Fetch(2, 3, offset: 4, lastEpoch: 1)));
        Assert.Equal(new OffsetAndEpoch(3, 1), response.DivergingEpoch); // epoch 1 ends at 3 here

        response = h.Single<FetchResponse>(h.Deliver(2, Fetch(2, 3, offset: 2, lastEpoch: 1)));
        Assert.Null(response.DivergingEpoch);
        Assert.Equal([2L, 3L], response.Records.Select(r => r.Offset));
        Assert.Equal([1, 3], response.Records.Select(r => r.Epoch));
    }

    [Fact]
    public void LeaderFencesFetchesFromOtherEpochs()
    {
        var h = LeaderOverOldEntries(1);
        Assert.Equal(RaftErrors.FencedLeaderEpoch, h.Single<FetchResponse>(h.Deliver(2, Fetch(2, 2, 0, 0))).ErrorCode);
        Assert.Equal(RaftErrors.UnknownLeaderEpoch, h.Single<FetchResponse>(h.Deliver(2, Fetch(2, 4, 0, 0))).ErrorCode);
    }

    [Fact]
    public void FollowerTruncatesToTheDivergingPointAndFetchesFromThere()
    {
        var h = new RaftCoreHarness(nodeId: 2);
        h.Seed(1, 1, 2, 2, 2);
        var fetch = Follow(h, 1, 3);
        var request = (FetchRequest)fetch.Message;
        Assert.Equal(5, request.FetchOffset);
        Assert.Equal(2, request.LastFetchedEpoch);

        // The leader has epoch 1 up to offset 3 and no epoch 2: cut where our epoch 1 ends (2), then fetch.
        var next = (FetchRequest)FollowerStep(h, fetch, Answer(1, 3, 0, new OffsetAndEpoch(3, 1))).Message;
        Assert.Equal(2, h.Log.EndOffset);
        Assert.Equal(2, next.FetchOffset);
        Assert.Equal(1, next.LastFetchedEpoch);
    }

    [Fact]
    public void FollowerRefusesToTruncateBelowItsHighWatermark()
    {
        var h = new RaftCoreHarness(nodeId: 2);
        var fetch = Follow(h, 1, 1);
        fetch = FollowerStep(h, fetch, Answer(1, 1, 4, null, Entry(0, 1), Entry(1, 1), Entry(2, 1), Entry(3, 1), Entry(4, 1)));
        Assert.Equal(4, h.Core.HighWatermark);
        Assert.Throws<InvalidOperationException>(() =>
            h.Deliver(1, Answer(1, 1, 4, new OffsetAndEpoch(2, 1)), fetch.CorrelationId));
    }

    [Fact]
    public void FollowerHighWatermarkIsTheLeadersCappedByItsOwnLog()
    {
        var h = new RaftCoreHarness(nodeId: 2);
        var fetch = Follow(h, 1, 1);
        fetch = FollowerStep(h, fetch, Answer(1, 1, 9, null, Entry(0, 1), Entry(1, 1)));
        Assert.Equal(2, h.Core.HighWatermark);
        Assert.Equal(2, h.Log.FlushedEndOffset); // flushed before the next fetch acknowledges it
        Assert.Equal(2, ((FetchRequest)fetch.Message).FetchOffset);
    }

    [Fact]
    public void FollowerIgnoresAResponseToAnOlderFetch()
    {
        var h = new RaftCoreHarness(nodeId: 2);
        var fetch = Follow(h, 1, 1);
        var sent = h.Deliver(1, Answer(1, 1, 1, null, Entry(0, 1)), fetch.CorrelationId + 17);
        Assert.Empty(sent);
        Assert.Equal(0, h.Log.EndOffset);
    }

    [Fact]
    public void HighWatermarkOnlyAdvancesOverEntriesOfTheLeadersOwnEpoch()
    {
        var h = LeaderOverOldEntries(1, 1, 1, 2, 2); // leader change at offset 5
        h.Deliver(2, Fetch(2, 3, offset: 5, lastEpoch: 2));
        Assert.Equal(0, h.Core.HighWatermark); // a majority holds 0..4, but those are older epochs' entries
        h.Deliver(2, Fetch(2, 3, offset: 6, lastEpoch: 3));
        Assert.Equal(6, h.Core.HighWatermark); // our own entry commits, and every entry below it
    }

    [Fact]
    public void LeaderCountsOnlyWhatItFlushed()
    {
        var h = LeaderOverOldEntries();
        h.Deliver(2, Fetch(2, 3, offset: 1, lastEpoch: 3));
        Assert.Equal(1, h.Core.HighWatermark);
        Assert.Equal(1, h.Core.Propose(new byte[] { 7 }, h.Now));
        h.Drain();
        h.Deliver(2, Fetch(2, 3, offset: 2, lastEpoch: 3));
        Assert.Equal(1, h.Core.HighWatermark); // node 2 has it, but our own copy is not durable yet
        h.Tick(1);
        Assert.Equal(2, h.Core.HighWatermark);
    }

    [Fact]
    public void AFetchWithNothingNewWaitsForTheNextAppend()
    {
        var h = LeaderOverOldEntries();
        Assert.Single(h.Deliver(2, Fetch(2, 3, offset: 1, lastEpoch: 3, maxWaitMs: 200))); // HW news: answered
        Assert.Empty(h.Deliver(2, Fetch(2, 3, offset: 1, lastEpoch: 3, maxWaitMs: 200)));  // parked
        h.Core.Propose(new byte[] { 1 }, h.Now);
        var response = h.Single<FetchResponse>(h.Drain());
        Assert.Equal([1L], response.Records.Select(r => r.Offset));
    }

    [Fact]
    public void AParkedFetchIsAnsweredEmptyAtItsMaxWait()
    {
        var h = LeaderOverOldEntries();
        h.Deliver(2, Fetch(2, 3, offset: 1, lastEpoch: 3, maxWaitMs: 200));
        Assert.Empty(h.Deliver(2, Fetch(2, 3, offset: 1, lastEpoch: 3, maxWaitMs: 200)));
        Assert.DoesNotContain(h.Tick(199), e => e.Message is FetchResponse);
        Assert.Empty(Assert.IsType<FetchResponse>(Assert.Single(h.Tick(1), e => e.Message is FetchResponse).Message).Records);
    }

    [Fact]
    public void ALaggingFollowerGetsTheSnapshotInChunksAndInstallsIt()
    {
        var leader = LeaderOverOldEntries();
        for (var i = 0; i < 5; i++)
        {
            leader.Core.Propose(new byte[] { (byte)i }, leader.Now);
        }
        leader.Tick(1);
        leader.Deliver(3, Fetch(3, 3, offset: 6, lastEpoch: 3));
        Assert.Equal(6, leader.Core.HighWatermark);
        var state = Enumerable.Range(0, 10).Select(i => (byte)(100 + i)).ToArray();
        Assert.False(leader.Core.CreateSnapshot(7, state)); // above the HW: not committed yet
        Assert.True(leader.Core.CreateSnapshot(5, state));
        Assert.Equal(5, leader.Log.LogStartOffset);
        leader.Drain();

        var follower = new RaftCoreHarness(nodeId: 2);
        var inFlight = follower.Deliver(1, new BeginQuorumEpochRequest(null, 2, 1, 3));
        var snapshotRequests = 0;
        for (var round = 0; round < 20 && inFlight.Count > 0; round++)
        {
            var replies = new List<RaftEnvelope>();
            foreach (var envelope in inFlight.Where(e => e.Destination == 1))
            {
                snapshotRequests += envelope.Message is FetchSnapshotRequest ? 1 : 0;
                leader.Core.Handle(envelope, leader.Now);
                replies.AddRange(leader.Drain());
            }
            inFlight = new List<RaftEnvelope>();
            foreach (var reply in replies.Where(e => e.Destination == 2))
            {
                inFlight.AddRange(follower.Deliver(1, reply.Message, reply.CorrelationId));
            }
        }
        Assert.Equal(3, snapshotRequests); // 10 bytes in chunks of 4
        Assert.Equal(new OffsetAndEpoch(5, 3), follower.Log.LatestSnapshot!.Id);
        Assert.Equal(state, follower.Log.LatestSnapshot.Data.ToArray());
        Assert.Equal(6, follower.Log.EndOffset); // and the entry after it, fetched normally
        Assert.Equal(6, follower.Core.HighWatermark);
    }

    [Fact]
    public void NonLeadersAnswerFetchesWithTheLeaderTheyKnow()
    {
        var h = new RaftCoreHarness(nodeId: 2);
        h.Follow(leader: 1, epoch: 4);
        h.Drain();
        var response = h.Single<FetchResponse>(h.Deliver(3, Fetch(3, 4, 0, 0)));
        Assert.Equal(RaftErrors.NotLeaderOrFollower, response.ErrorCode);
        Assert.Equal(new LeaderIdAndEpoch(1, 4), response.CurrentLeader);
    }

    [Fact]
    public void DescribeQuorumReportsTheLeadersView()
    {
        var h = LeaderOverOldEntries();
        h.Deliver(2, Fetch(2, 3, offset: 1, lastEpoch: 3));
        var response = h.Single<DescribeQuorumResponse>(h.Deliver(5, new DescribeQuorumRequest()));
        Assert.Equal(1, response.LeaderId);
        Assert.Equal(3, response.LeaderEpoch);
        Assert.Equal(1, response.HighWatermark);
        Assert.Equal([1, 2, 3], response.CurrentVoters.Select(v => v.ReplicaId));
        Assert.Equal([1L, 1L, -1L], response.CurrentVoters.Select(v => v.LogEndOffset));
    }

    /// <summary>Makes <paramref name="h"/> follow and returns the fetch it sent.</summary>
    private static RaftEnvelope Follow(RaftCoreHarness h, int leader, int epoch)
    {
        h.Core.Handle(new RaftEnvelope(leader, h.Core.NodeId, 1, new BeginQuorumEpochRequest(null, h.Core.NodeId, leader, epoch)), h.Now);
        return Assert.Single(h.Drain(), e => e.Message is FetchRequest);
    }

    /// <summary>Answers the follower's fetch and returns its next fetch.</summary>
    private static RaftEnvelope FollowerStep(RaftCoreHarness h, RaftEnvelope fetch, FetchResponse response) =>
        Assert.Single(h.Deliver(fetch.Destination, response, fetch.CorrelationId), e => e.Message is FetchRequest);
}
