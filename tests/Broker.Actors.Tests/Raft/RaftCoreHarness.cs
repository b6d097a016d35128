using Broker.Actors.Raft;

namespace Broker.Actors.Tests.Raft;

/// <summary>One Raft core with an in-memory log and store, driven message by message in unit tests.</summary>
internal sealed class RaftCoreHarness
{
    public RaftCoreHarness(int nodeId = 1, int voters = 3, bool preVote = false, InMemoryRaftLog? log = null, InMemoryQuorumStateStore? store = null, long now = 0, string? clusterId = null)
    {
        Log = log ?? new InMemoryRaftLog();
        Store = store ?? new InMemoryQuorumStateStore();
        Config = new RaftConfig(nodeId, Enumerable.Range(1, voters).ToArray())
        {
            PreVote = preVote,
            ClusterId = clusterId,
            ElectionTimeoutMs = 100,
            FetchTimeoutMs = 1000,
            RequestTimeoutMs = 500,
            FetchMaxWaitMs = 200,
            AppendLingerMs = 0,
            SnapshotChunkBytes = 4,
        };
        Now = now;
        Core = new RaftCore(Config, Log, Store, new Random(42), now);
    }

    public RaftConfig Config { get; }
    public InMemoryRaftLog Log { get; }
    public InMemoryQuorumStateStore Store { get; }
    public RaftCore Core { get; }
    public long Now { get; set; }

    /// <summary>Delivers a message and returns what the core sent in response (clearing its outbox).</summary>
    public List<RaftEnvelope> Deliver(int from, RaftMessage message, long correlationId = 1000)
    {
        Core.Handle(new RaftEnvelope(from, Core.NodeId, correlationId, message), Now);
        return Drain();
    }

    public List<RaftEnvelope> Tick(long advanceMs)
    {
        Now += advanceMs;
        Core.Tick(Now);
        return Drain();
    }

    public List<RaftEnvelope> Drain()
    {
        var sent = Core.Outbox.ToList();
        Core.ClearOutbox();
        return sent;
    }

    public T Single<T>(List<RaftEnvelope> sent) where T : RaftMessage => Assert.IsType<T>(Assert.Single(sent).Message);

    /// <summary>Appends entries with the given epochs to the log (as if replicated earlier).</summary>
    public void Seed(params int[] epochs)
    {
        foreach (var epoch in epochs)
        {
            Log.Append(new RaftEntry(Log.EndOffset, epoch, RaftRecordType.Data, new byte[] { (byte)Log.EndOffset }));
        }
        Log.Flush();
    }

    /// <summary>Makes this node the leader of the next epoch (no pre-vote): election timeout, then a granted vote.</summary>
    public List<RaftEnvelope> ElectSelf()
    {
        var votes = Tick(1000).Where(e => e.Message is VoteRequest).ToList();
        Assert.Equal(RaftRole.Candidate, Core.Role);
        var sent = new List<RaftEnvelope>();
        for (var i = 0; i < Config.Majority - 1; i++)
        {
            sent.AddRange(Deliver(votes[i].Destination, new VoteResponse(RaftErrors.None, -1, Core.Epoch, true), votes[i].CorrelationId));
        }
        Assert.Equal(RaftRole.Leader, Core.Role);
        return sent;
    }

    /// <summary>Makes this node a follower of <paramref name="leader"/> in <paramref name="epoch"/>.</summary>
    public void Follow(int leader, int epoch)
    {
        Deliver(leader, new BeginQuorumEpochRequest(null, Core.NodeId, leader, epoch));
        Assert.Equal(RaftRole.Follower, Core.Role);
    }
}
