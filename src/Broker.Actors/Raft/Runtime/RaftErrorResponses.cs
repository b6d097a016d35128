namespace Broker.Actors.Raft.Runtime;

/// <summary>Error answers to Raft requests the core will not answer itself (it dropped them or stopped).</summary>
public static class RaftErrorResponses
{
    public static bool IsResponse(RaftMessage message) => message is VoteResponse or BeginQuorumEpochResponse
        or EndQuorumEpochResponse or FetchResponse or FetchSnapshotResponse or DescribeQuorumResponse;

    public static RaftMessage For(RaftMessage request, short error, LeaderIdAndEpoch leader) => request switch
    {
        VoteRequest => new VoteResponse(error, leader.LeaderId, leader.LeaderEpoch, false),
        BeginQuorumEpochRequest => new BeginQuorumEpochResponse(error, leader.LeaderId, leader.LeaderEpoch),
        EndQuorumEpochRequest => new EndQuorumEpochResponse(error, leader.LeaderId, leader.LeaderEpoch),
        FetchRequest => new FetchResponse(error, -1, -1, null, leader, null, []),
        FetchSnapshotRequest m => new FetchSnapshotResponse(error, m.SnapshotId, leader, -1, -1, ReadOnlyMemory<byte>.Empty),
        DescribeQuorumRequest => new DescribeQuorumResponse(error, leader.LeaderId, leader.LeaderEpoch, -1, [], []),
        _ => throw new ArgumentException($"not a Raft request: {request.GetType().Name}"),
    };
}
