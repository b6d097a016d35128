using Broker.Actors.Raft.Storage;
using W = Broker.Protocol.Messages;

namespace Broker.Actors.Raft.Wire;

/// <summary>
/// The Kafka wire form of the core's messages (<see cref="RaftMessage"/> records) for the single
/// <c>__cluster_metadata</c> partition 0: the Topics[]/Partitions[] nesting, the versions we speak, entries
/// as v2 record batches (<see cref="RaftRecordCodec"/>). Requests go out with <see cref="ToWireRequest"/>
/// and their answers come back with <see cref="FromWireResponse"/>; the receiving side uses the
/// <c>FromWire(...Request)</c> overloads and <see cref="ToWireResponse"/>.
/// </summary>
public static partial class RaftWire
{
    public const string TopicName = "__cluster_metadata";
    public const int PartitionIndex = 0;

    public const short VoteVersion = 1;
    public const short BeginQuorumEpochVersion = 1;
    public const short EndQuorumEpochVersion = 1;
    /// <summary>Fetch v12: flexible, by topic name, with ClusterId, LastFetchedEpoch, DivergingEpoch, CurrentLeader and SnapshotId.</summary>
    public const short FetchVersion = 12;
    public const short FetchSnapshotVersion = 0;
    public const short DescribeQuorumVersion = 1;

    /// <summary>The request in its wire form and the version to send it at.</summary>
    public static (W.IKafkaMessage Message, short Version) ToWireRequest(RaftMessage request) => request switch
    {
        VoteRequest m => (new PreVoteVoteRequest(new W.VoteRequest
        {
            ClusterId = m.ClusterId,
            VoterId = m.VoterId,
            Topics = [new() { TopicName = TopicName, Partitions = [new() {
                PartitionIndex = PartitionIndex, CandidateEpoch = m.CandidateEpoch, CandidateId = m.CandidateId,
                LastOffsetEpoch = m.LastOffsetEpoch, LastOffset = m.LastOffset } ] }],
        }, m.PreVote), VoteVersion),
        BeginQuorumEpochRequest m => (new W.BeginQuorumEpochRequest
        {
            ClusterId = m.ClusterId,
            VoterId = m.VoterId,
            Topics = [new() { TopicName = TopicName, Partitions = [new() {
                PartitionIndex = PartitionIndex, LeaderId = m.LeaderId, LeaderEpoch = m.LeaderEpoch } ] }],
        }, BeginQuorumEpochVersion),
        EndQuorumEpochRequest m => (new W.EndQuorumEpochRequest
        {
            ClusterId = m.ClusterId,
            Topics = [new() { TopicName = TopicName, Partitions = [new() {
                PartitionIndex = PartitionIndex, LeaderId = m.LeaderId, LeaderEpoch = m.LeaderEpoch,
                PreferredCandidates = m.PreferredSuccessors.Select(id => new W.EndQuorumEpochRequest.ReplicaInfo { CandidateId = id }).ToList() } ] }],
        }, EndQuorumEpochVersion),
        FetchRequest m => (new W.FetchRequest
        {
            ClusterId = m.ClusterId,
            ReplicaId = m.ReplicaId,
            MaxWaitMs = m.MaxWaitMs,
            MinBytes = 0,
            Topics = [new() { Topic = TopicName, Partitions = [new() {
                Partition = PartitionIndex, CurrentLeaderEpoch = m.CurrentLeaderEpoch, FetchOffset = m.FetchOffset,
                LastFetchedEpoch = m.LastFetchedEpoch, LogStartOffset = m.LogStartOffset, PartitionMaxBytes = 8 * 1024 * 1024 } ] }],
        }, FetchVersion),
        FetchSnapshotRequest m => (new W.FetchSnapshotRequest
        {
            ClusterId = m.ClusterId,
            ReplicaId = m.ReplicaId,
            MaxBytes = m.MaxBytes,
            Topics = [new() { Name = TopicName, Partitions = [new() {
                Partition = PartitionIndex, CurrentLeaderEpoch = m.CurrentLeaderEpoch,
                SnapshotId = new() { EndOffset = m.SnapshotId.Offset, Epoch = m.SnapshotId.Epoch }, Position = m.Position } ] }],
        }, FetchSnapshotVersion),
        DescribeQuorumRequest => (new W.DescribeQuorumRequest
        {
            Topics = [new() { TopicName = TopicName, Partitions = [new() { PartitionIndex = PartitionIndex }] }],
        }, DescribeQuorumVersion),
        _ => throw new ArgumentException($"not a Raft request: {request.GetType().Name}"),
    };

    /// <summary>The core's view of a response to <paramref name="request"/>.</summary>
    public static RaftMessage FromWireResponse(RaftMessage request, W.IKafkaMessage response) => (request, response) switch
    {
        (VoteRequest, W.VoteResponse r) => One(r.Topics, t => t.Partitions) is { } p
            ? new VoteResponse(p.ErrorCode, p.LeaderId, p.LeaderEpoch, p.VoteGranted)
            : new VoteResponse(TopError(r.ErrorCode), -1, -1, false),
        (BeginQuorumEpochRequest, W.BeginQuorumEpochResponse r) => One(r.Topics, t => t.Partitions) is { } p
            ? new BeginQuorumEpochResponse(p.ErrorCode, p.LeaderId, p.LeaderEpoch)
            : new BeginQuorumEpochResponse(TopError(r.ErrorCode), -1, -1),
        (EndQuorumEpochRequest, W.EndQuorumEpochResponse r) => One(r.Topics, t => t.Partitions) is { } p
            ? new EndQuorumEpochResponse(p.ErrorCode, p.LeaderId, p.LeaderEpoch)
            : new EndQuorumEpochResponse(TopError(r.ErrorCode), -1, -1),
        (FetchRequest, W.FetchResponse r) => FromWire(r),
        (FetchSnapshotRequest q, W.FetchSnapshotResponse r) => FromWire(q, r),
        (DescribeQuorumRequest, W.DescribeQuorumResponse r) => FromWire(r),
        _ => throw new ArgumentException($"{response.GetType().Name} does not answer {request.GetType().Name}"),
    };

    /// <summary>The wire response type a request is answered with (for decoding).</summary>
    public static Type ResponseTypeOf(RaftMessage request) => request switch
    {
        VoteRequest => typeof(W.VoteResponse),
        BeginQuorumEpochRequest => typeof(W.BeginQuorumEpochResponse),
        EndQuorumEpochRequest => typeof(W.EndQuorumEpochResponse),
        FetchRequest => typeof(W.FetchResponse),
        FetchSnapshotRequest => typeof(W.FetchSnapshotResponse),
        DescribeQuorumRequest => typeof(W.DescribeQuorumResponse),
        _ => throw new ArgumentException($"not a Raft request: {request.GetType().Name}"),
    };

    private static RaftMessage FromWire(W.FetchResponse r)
    {
        var p = One(r.Responses, t => t.Partitions);
        if (p is null)
        {
            return new FetchResponse(TopError(r.ErrorCode), -1, -1, null, new LeaderIdAndEpoch(-1, -1), null, []);
        }
        var entries = p.Records is { Length: > 0 } records ? RaftRecordCodec.Decode(records) : [];
        return new FetchResponse(p.ErrorCode, p.HighWatermark, p.LogStartOffset,
            p.DivergingEpoch.Epoch >= 0 && p.DivergingEpoch.EndOffset >= 0 ? new OffsetAndEpoch(p.DivergingEpoch.EndOffset, p.DivergingEpoch.Epoch) : null,
            new LeaderIdAndEpoch(p.CurrentLeader.LeaderId, p.CurrentLeader.LeaderEpoch),
            p.SnapshotId.EndOffset >= 0 && p.SnapshotId.Epoch >= 0 ? new OffsetAndEpoch(p.SnapshotId.EndOffset, p.SnapshotId.Epoch) : null,
            entries);
    }

    private static RaftMessage FromWire(FetchSnapshotRequest request, W.FetchSnapshotResponse r)
    {
        var p = One(r.Topics, t => t.Partitions);
        if (p is null)
        {
            return new FetchSnapshotResponse(TopError(r.ErrorCode), request.SnapshotId, new LeaderIdAndEpoch(-1, -1), -1, -1, ReadOnlyMemory<byte>.Empty);
        }
        return new FetchSnapshotResponse(p.ErrorCode, new OffsetAndEpoch(p.SnapshotId.EndOffset, p.SnapshotId.Epoch),
            new LeaderIdAndEpoch(p.CurrentLeader.LeaderId, p.CurrentLeader.LeaderEpoch), p.SizeValue, p.Position,
            p.UnalignedRecords ?? ReadOnlyMemory<byte>.Empty);
    }

    private static RaftMessage FromWire(W.DescribeQuorumResponse r)
    {
        var p = One(r.Topics, t => t.Partitions);
        if (p is null)
        {
            return new DescribeQuorumResponse(TopError(r.ErrorCode), -1, -1, -1, [], []);
        }
        return new DescribeQuorumResponse(p.ErrorCode, p.LeaderId, p.LeaderEpoch, p.HighWatermark,
            p.CurrentVoters.Select(ToReplica).ToList(), p.Observers.Select(ToReplica).ToList());
    }

    private static ReplicaState ToReplica(W.DescribeQuorumResponse.ReplicaState s) =>
        new(s.ReplicaId, s.LogEndOffset, s.LastFetchTimestamp, s.LastCaughtUpTimestamp);

    /// <summary>A response without our partition carries its error at the top (or is malformed).</summary>
    private static short TopError(short error) => error != 0 ? error : RaftErrors.InvalidRequest;

    /// <summary>The single partition of the single topic, or null when the message has none.</summary>
    private static TPartition? One<TTopic, TPartition>(List<TTopic> topics, Func<TTopic, List<TPartition>> partitions)
        where TPartition : class
    {
        if (topics.Count == 0)
        {
            return null;
        }
        var list = partitions(topics[0]);
        return list.Count == 0 ? null : list[0];
    }
}
