namespace Broker.Actors.Raft;

/// <summary>
/// Settings of one quorum member, named after Kafka's `controller.quorum.*` keys. Defaults are Kafka's.
/// </summary>
public sealed record RaftConfig(int NodeId, IReadOnlyList<int> Voters)
{
    /// <summary>The cluster id sent in requests (null until known).</summary>
    public string? ClusterId { get; init; }

    /// <summary>controller.quorum.election.timeout.ms: the base of the randomized election timeout [t, 2t).</summary>
    public int ElectionTimeoutMs { get; init; } = 1000;

    /// <summary>controller.quorum.election.backoff.max.ms: spread of the start times after a leader resigns.</summary>
    public int ElectionBackoffMaxMs { get; init; } = 1000;

    /// <summary>controller.quorum.fetch.timeout.ms: a follower that has not heard from its leader for this long
    /// starts an election; a leader that has not been fetched from by a majority for this long resigns.</summary>
    public int FetchTimeoutMs { get; init; } = 2000;

    /// <summary>controller.quorum.request.timeout.ms: an unanswered request is sent again after this long.</summary>
    public int RequestTimeoutMs { get; init; } = 2000;

    /// <summary>How long the leader parks a fetch that has nothing new (FetchRequest.MaxWaitMs).</summary>
    public int FetchMaxWaitMs { get; init; } = 500;

    /// <summary>controller.quorum.append.linger.ms: how long the leader lets appends gather before it flushes
    /// them (and only then counts them towards the high watermark).</summary>
    public int AppendLingerMs { get; init; } = 25;

    /// <summary>Most entries one FetchResponse carries.</summary>
    public int FetchMaxEntries { get; init; } = 256;

    /// <summary>Most snapshot bytes one FetchSnapshotResponse carries.</summary>
    public int SnapshotChunkBytes { get; init; } = 1 << 20;

    /// <summary>Largest snapshot a follower accepts (checked before allocating its buffer).</summary>
    public long MaxSnapshotBytes { get; init; } = 1L << 30;

    /// <summary>KIP-996 pre-vote: ask whether an election could win before bumping the epoch.</summary>
    public bool PreVote { get; init; } = true;

    public int Majority => Voters.Count / 2 + 1;

    public bool IsVoter(int id)
    {
        for (var i = 0; i < Voters.Count; i++)
        {
            if (Voters[i] == id)
            {
                return true;
            }
        }
        return false;
    }
}
