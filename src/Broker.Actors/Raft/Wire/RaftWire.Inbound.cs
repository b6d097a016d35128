using Broker.Actors.Raft.Storage;
using W = Broker.Protocol.Messages;

namespace Broker.Actors.Raft.Wire;

// The receiving side: a wire request becomes the core's message (with the sender's id for the envelope),
// and the core's response becomes the wire response.
public static partial class RaftWire
{
    /// <summary>
    /// The core's form of a Raft request received on the wire, and who sent it. False when the request is
    /// not about <c>__cluster_metadata</c> partition 0 (answered with an error by the handler).
    /// <paramref name="body"/> is the request body (for the PreVote tag of a VoteRequest).
    /// </summary>
    public static bool TryFromWireRequest(W.IKafkaMessage request, ReadOnlyMemory<byte> body, short version, out RaftMessage message, out int source)
    {
        message = null!;
        source = -1;
        switch (request)
        {
            case W.VoteRequest r when One(r.Topics, t => t.Partitions) is { } p && r.Topics[0].TopicName == TopicName && p.PartitionIndex == PartitionIndex:
                source = p.CandidateId;
                message = new VoteRequest(r.ClusterId, r.VoterId, p.CandidateEpoch, p.CandidateId, p.LastOffsetEpoch, p.LastOffset,
                    PreVoteVoteRequest.ReadPreVote(r, body, version));
                return true;
            case W.BeginQuorumEpochRequest r when One(r.Topics, t => t.Partitions) is { } p && r.Topics[0].TopicName == TopicName && p.PartitionIndex == PartitionIndex:
                source = p.LeaderId;
                message = new BeginQuorumEpochRequest(r.ClusterId, r.VoterId, p.LeaderId, p.LeaderEpoch);
                return true;
            case W.EndQuorumEpochRequest r when One(r.Topics, t => t.Partitions) is { } p && r.Topics[0].TopicName == TopicName && p.PartitionIndex == PartitionIndex:
                source = p.LeaderId;
                var successors = p.PreferredCandidates.Count > 0 ? p.PreferredCandidates.Select(c => c.CandidateId).ToList() : p.PreferredSuccessors;
                message = new EndQuorumEpochRequest(r.ClusterId, p.LeaderId, p.LeaderEpoch, successors);
                return true;
            case W.FetchRequest r when IsMetadataFetch(r) && One(r.Topics, t => t.Partitions) is { } p:
                source = version >= 15 ? r.ReplicaState.ReplicaId : r.ReplicaId;
                message = new FetchRequest(r.ClusterId, source, r.MaxWaitMs, p.CurrentLeaderEpoch, p.FetchOffset, p.LastFetchedEpoch, p.LogStartOffset);
                return true;
            case W.FetchSnapshotRequest r when One(r.Topics, t => t.Partitions) is { } p && r.Topics[0].Name == TopicName && p.Partition == PartitionIndex:
                source = r.ReplicaId;
                message = new FetchSnapshotRequest(r.ClusterId, r.ReplicaId, r.MaxBytes, p.CurrentLeaderEpoch,
                    new OffsetAndEpoch(p.SnapshotId.EndOffset, p.SnapshotId.Epoch), p.Position);
                return true;
            case W.DescribeQuorumRequest r when One(r.Topics, t => t.Partitions) is { } p && r.Topics[0].TopicName == TopicName && p.PartitionIndex == PartitionIndex:
                message = new DescribeQuorumRequest();
                return true;
            default:
                return false;
        }
    }

    /// <summary>Whether a Fetch is a KRaft fetch of <c>__cluster_metadata</c>-0 (by name: Fetch up to v12).</summary>
    public static bool IsMetadataFetch(W.FetchRequest fetch) =>
        fetch.Topics.Count == 1 && fetch.Topics[0].Topic == TopicName
        && fetch.Topics[0].Partitions.Count == 1 && fetch.Topics[0].Partitions[0].Partition == PartitionIndex;

    /// <summary>The wire form of the core's response.</summary>
    public static W.IKafkaMessage ToWireResponse(RaftMessage response) => response switch
    {
        VoteResponse m => new W.VoteResponse
        {
            Topics = [new() { TopicName = TopicName, Partitions = [new() {
                PartitionIndex = PartitionIndex, ErrorCode = m.ErrorCode, LeaderId = m.LeaderId, LeaderEpoch = m.LeaderEpoch, VoteGranted = m.VoteGranted } ] }],
        },
        BeginQuorumEpochResponse m => new W.BeginQuorumEpochResponse
        {
            Topics = [new() { TopicName = TopicName, Partitions = [new() {
                PartitionIndex = PartitionIndex, ErrorCode = m.ErrorCode, LeaderId = m.LeaderId, LeaderEpoch = m.LeaderEpoch } ] }],
        },
        EndQuorumEpochResponse m => new W.EndQuorumEpochResponse
        {
            Topics = [new() { TopicName = TopicName, Partitions = [new() {
                PartitionIndex = PartitionIndex, ErrorCode = m.ErrorCode, LeaderId = m.LeaderId, LeaderEpoch = m.LeaderEpoch } ] }],
        },
        FetchResponse m => new W.FetchResponse
        {
            Responses = [new() { Topic = TopicName, Partitions = [new() {
                PartitionIndex = PartitionIndex, ErrorCode = m.ErrorCode, HighWatermark = m.HighWatermark, LastStableOffset = m.HighWatermark,
                LogStartOffset = m.LogStartOffset,
                DivergingEpoch = m.DivergingEpoch is { } d ? new() { Epoch = d.Epoch, EndOffset = d.Offset } : new(),
                CurrentLeader = new() { LeaderId = m.CurrentLeader.LeaderId, LeaderEpoch = m.CurrentLeader.LeaderEpoch },
                SnapshotId = m.SnapshotId is { } s ? new() { EndOffset = s.Offset, Epoch = s.Epoch } : new(),
                Records = RaftRecordCodec.Encode(m.Records) } ] }],
        },
        FetchSnapshotResponse m => new W.FetchSnapshotResponse
        {
            Topics = [new() { Name = TopicName, Partitions = [new() {
                Index = PartitionIndex, ErrorCode = m.ErrorCode,
                SnapshotId = new() { EndOffset = m.SnapshotId.Offset, Epoch = m.SnapshotId.Epoch },
                CurrentLeader = new() { LeaderId = m.CurrentLeader.LeaderId, LeaderEpoch = m.CurrentLeader.LeaderEpoch },
                SizeValue = m.Size, Position = m.Position, UnalignedRecords = m.UnalignedRecords } ] }],
        },
        DescribeQuorumResponse m => new W.DescribeQuorumResponse
        {
            Topics = [new() { TopicName = TopicName, Partitions = [new() {
                PartitionIndex = PartitionIndex, ErrorCode = m.ErrorCode, LeaderId = m.LeaderId, LeaderEpoch = m.LeaderEpoch,
                HighWatermark = m.HighWatermark,
                CurrentVoters = m.CurrentVoters.Select(ToWire).ToList(),
                Observers = m.Observers.Select(ToWire).ToList() } ] }],
        },
        _ => throw new ArgumentException($"not a Raft response: {response.GetType().Name}"),
    };

    private static W.DescribeQuorumResponse.ReplicaState ToWire(ReplicaState s) => new()
    {
        ReplicaId = s.ReplicaId, LogEndOffset = s.LogEndOffset, LastFetchTimestamp = s.LastFetchTimestamp, LastCaughtUpTimestamp = s.LastCaughtUpTimestamp,
    };

    /// <summary>An error answer to a wire request that is not about our partition.</summary>
    public static W.IKafkaMessage ErrorResponse(W.IKafkaMessage request, short error) => request switch
    {
        W.VoteRequest => new W.VoteResponse { ErrorCode = error },
        W.BeginQuorumEpochRequest => new W.BeginQuorumEpochResponse { ErrorCode = error },
        W.EndQuorumEpochRequest => new W.EndQuorumEpochResponse { ErrorCode = error },
        W.FetchSnapshotRequest => new W.FetchSnapshotResponse { ErrorCode = error },
        W.DescribeQuorumRequest => new W.DescribeQuorumResponse { ErrorCode = error, ErrorMessage = null },
        W.FetchRequest => new W.FetchResponse { ErrorCode = error },
        _ => throw new ArgumentException($"not a Raft request: {request.GetType().Name}"),
    };
}
