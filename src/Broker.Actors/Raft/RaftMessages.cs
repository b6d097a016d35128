namespace Broker.Actors.Raft;

// The messages the Raft core exchanges. Each request/response record carries the fields of Kafka's
// JSON spec (VoteRequest.json, FetchRequest.json, ...) for the single `__cluster_metadata` partition,
// flattened: the Topics[]/Partitions[] nesting, directory ids and endpoints are added by the wire
// adapter, which maps these records 1:1 to the generated wire types. The correlation id lives in the
// envelope, as it lives in the Kafka request header, not in the body.

/// <summary>An (end offset, epoch) pair: Kafka's OffsetAndEpoch / SnapshotId / EpochEndOffset.</summary>
public readonly record struct OffsetAndEpoch(long Offset, int Epoch);

/// <summary>Kafka's LeaderIdAndEpoch struct (-1 leader when unknown).</summary>
public readonly record struct LeaderIdAndEpoch(int LeaderId, int LeaderEpoch);

/// <summary>What kind of record a Raft log entry holds: controller data or a Raft control record.</summary>
public enum RaftRecordType : byte
{
    Data = 0,
    /// <summary>LeaderChangeMessage control record, written by a leader at the start of its epoch.</summary>
    LeaderChange = 2,
}

/// <summary>One entry of the metadata log. Offsets are dense; the epoch is the leader epoch that wrote it.</summary>
public readonly record struct RaftEntry(long Offset, int Epoch, RaftRecordType Type, ReadOnlyMemory<byte> Value);

/// <summary>A frozen snapshot of the state machine at <see cref="Id"/> (exclusive end offset, epoch of the last entry in it).</summary>
public sealed record RaftSnapshot(OffsetAndEpoch Id, ReadOnlyMemory<byte> Data);

/// <summary>Base of every Raft message; the envelope says who sent it to whom.</summary>
public abstract record RaftMessage;

/// <summary>A message in flight between two quorum members.</summary>
public readonly record struct RaftEnvelope(int Source, int Destination, long CorrelationId, RaftMessage Message);

/// <summary>Kafka error codes the Raft APIs answer with (numbers as in Kafka's Errors.java).</summary>
public static class RaftErrors
{
    public const short None = 0;
    public const short NotLeaderOrFollower = 6;
    public const short BrokerNotAvailable = 8;
    public const short InvalidRequest = 42;
    public const short FencedLeaderEpoch = 74;
    public const short UnknownLeaderEpoch = 75;
    public const short InconsistentVoterSet = 94;
    public const short SnapshotNotFound = 98;
    public const short PositionOutOfRange = 99;
    public const short InconsistentClusterId = 104;
}

/// <summary>VoteRequest (API 52). <see cref="PreVote"/> is KIP-996's flag (VoteRequest v2): a pre-vote
/// carries the sender's current epoch in <see cref="CandidateEpoch"/> and changes no state on the receiver.</summary>
public sealed record VoteRequest(
    string? ClusterId, int VoterId, int CandidateEpoch, int CandidateId,
    int LastOffsetEpoch, long LastOffset, bool PreVote) : RaftMessage;

/// <summary>VoteResponse (API 52). LeaderId/LeaderEpoch are the responder's view.</summary>
public sealed record VoteResponse(short ErrorCode, int LeaderId, int LeaderEpoch, bool VoteGranted) : RaftMessage;

/// <summary>BeginQuorumEpochRequest (API 53): a new leader announces itself to the voters.</summary>
public sealed record BeginQuorumEpochRequest(string? ClusterId, int VoterId, int LeaderId, int LeaderEpoch) : RaftMessage;

/// <summary>BeginQuorumEpochResponse (API 53).</summary>
public sealed record BeginQuorumEpochResponse(short ErrorCode, int LeaderId, int LeaderEpoch) : RaftMessage;

/// <summary>EndQuorumEpochRequest (API 54): a leader resigns gracefully; PreferredSuccessors are sorted
/// by how caught up they are, so the best one starts the next election first.</summary>
public sealed record EndQuorumEpochRequest(
    string? ClusterId, int LeaderId, int LeaderEpoch, IReadOnlyList<int> PreferredSuccessors) : RaftMessage;

/// <summary>EndQuorumEpochResponse (API 54).</summary>
public sealed record EndQuorumEpochResponse(short ErrorCode, int LeaderId, int LeaderEpoch) : RaftMessage;

/// <summary>FetchRequest (API 1) as a KRaft follower sends it: pull from <see cref="FetchOffset"/>,
/// proving the log up to there with <see cref="LastFetchedEpoch"/> (KIP-595).</summary>
public sealed record FetchRequest(
    string? ClusterId, int ReplicaId, int MaxWaitMs, int CurrentLeaderEpoch,
    long FetchOffset, int LastFetchedEpoch, long LogStartOffset) : RaftMessage;

/// <summary>FetchResponse (API 1) partition data. Exactly one of: records (possibly none),
/// <see cref="DivergingEpoch"/> (truncate, then fetch again) or <see cref="SnapshotId"/> (FetchSnapshot).</summary>
public sealed record FetchResponse(
    short ErrorCode, long HighWatermark, long LogStartOffset, OffsetAndEpoch? DivergingEpoch,
    LeaderIdAndEpoch CurrentLeader, OffsetAndEpoch? SnapshotId, IReadOnlyList<RaftEntry> Records) : RaftMessage;

/// <summary>FetchSnapshotRequest (API 59): read the snapshot <see cref="SnapshotId"/> from byte <see cref="Position"/>.</summary>
public sealed record FetchSnapshotRequest(
    string? ClusterId, int ReplicaId, int MaxBytes, int CurrentLeaderEpoch,
    OffsetAndEpoch SnapshotId, long Position) : RaftMessage;

/// <summary>FetchSnapshotResponse (API 59): one chunk of the snapshot.</summary>
public sealed record FetchSnapshotResponse(
    short ErrorCode, OffsetAndEpoch SnapshotId, LeaderIdAndEpoch CurrentLeader,
    long Size, long Position, ReadOnlyMemory<byte> UnalignedRecords) : RaftMessage;

/// <summary>DescribeQuorumRequest (API 55).</summary>
public sealed record DescribeQuorumRequest : RaftMessage;

/// <summary>DescribeQuorumResponse (API 55) ReplicaState.</summary>
public readonly record struct ReplicaState(int ReplicaId, long LogEndOffset, long LastFetchTimestamp, long LastCaughtUpTimestamp);

/// <summary>DescribeQuorumResponse (API 55) partition data.</summary>
public sealed record DescribeQuorumResponse(
    short ErrorCode, int LeaderId, int LeaderEpoch, long HighWatermark,
    IReadOnlyList<ReplicaState> CurrentVoters, IReadOnlyList<ReplicaState> Observers) : RaftMessage;

/// <summary>
/// The LeaderChangeMessage control record (LeaderChangeMessage.json, version 0) a leader writes at the
/// start of its epoch. Encoded big-endian: Version int16, LeaderId int32, then Voters and GrantingVoters
/// as int32 counts followed by int32 ids.
/// </summary>
public sealed record LeaderChangeMessage(short Version, int LeaderId, IReadOnlyList<int> Voters, IReadOnlyList<int> GrantingVoters)
{
    public static byte[] Encode(int leaderId, IReadOnlyList<int> voters, IReadOnlyList<int> grantingVoters)
    {
        var buffer = new byte[2 + 4 + 4 + 4 * voters.Count + 4 + 4 * grantingVoters.Count];
        var span = buffer.AsSpan();
        System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(span, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(span[2..], leaderId);
        var position = 6;
        foreach (var list in (ReadOnlySpan<IReadOnlyList<int>>)[voters, grantingVoters])
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(span[position..], list.Count);
            position += 4;
            foreach (var id in list)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(span[position..], id);
                position += 4;
            }
        }
        return buffer;
    }

    public static LeaderChangeMessage Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 10)
        {
            throw new FormatException("LeaderChangeMessage too short");
        }
        var version = System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(data);
        var leaderId = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data[2..]);
        var position = 6;
        var voters = ReadList(data, ref position);
        var granting = ReadList(data, ref position);
        return new LeaderChangeMessage(version, leaderId, voters, granting);
    }

    private static int[] ReadList(ReadOnlySpan<byte> data, ref int position)
    {
        if (data.Length - position < 4)
        {
            throw new FormatException("LeaderChangeMessage truncated");
        }
        var count = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data[position..]);
        position += 4;
        // Validate the count against the bytes left before allocating.
        if (count < 0 || count > (data.Length - position) / 4)
        {
            throw new FormatException($"LeaderChangeMessage list of {count} ids does not fit");
        }
        var ids = new int[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data[position..]);
            position += 4;
        }
        return ids;
    }
}
