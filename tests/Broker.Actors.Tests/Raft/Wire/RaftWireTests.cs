using Broker.Actors.Raft;
using Broker.Actors.Raft.Wire;
using Broker.Protocol.Primitives;
using W = Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Raft.Wire;

public sealed class RaftWireTests
{
    private static byte[] Bytes(W.IKafkaMessage message, short version)
    {
        var buffer = new byte[message.Size(version)];
        var writer = new KafkaWriter(buffer);
        message.Write(ref writer, version);
        return buffer;
    }

    private static T Read<T>(byte[] bytes, short version) where T : W.IKafkaMessage, new()
    {
        var message = new T();
        var reader = new KafkaReader(bytes);
        message.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        return message;
    }

    /// <summary>Request out through the sender's adapter, over bytes, back in through the receiver's.</summary>
    private static (RaftMessage Message, int Source) RoundTripRequest<TWire>(RaftMessage request) where TWire : W.IKafkaMessage, new()
    {
        var (wire, version) = RaftWire.ToWireRequest(request);
        var bytes = Bytes(wire, version);
        var decoded = Read<TWire>(bytes, version);
        Assert.True(RaftWire.TryFromWireRequest(decoded, bytes, version, out var message, out var source));
        return (message, source);
    }

    private static RaftMessage RoundTripResponse<TWire>(RaftMessage request, RaftMessage response, short version) where TWire : W.IKafkaMessage, new()
    {
        var bytes = Bytes(RaftWire.ToWireResponse(response), version);
        return RaftWire.FromWireResponse(request, Read<TWire>(bytes, version));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Vote_requests_carry_the_pre_vote_flag_in_a_tagged_field(bool preVote)
    {
        var request = new VoteRequest("cluster", 2, 5, 1, 4, 120, preVote);
        var (message, source) = RoundTripRequest<W.VoteRequest>(request);
        Assert.Equal(request, message);
        Assert.Equal(1, source);
        var response = new VoteResponse(0, -1, 5, true);
        Assert.Equal(response, RoundTripResponse<W.VoteResponse>(request, response, RaftWire.VoteVersion));
    }

    [Fact]
    public void Quorum_epoch_requests_round_trip()
    {
        var begin = new BeginQuorumEpochRequest("c", 3, 1, 9);
        Assert.Equal(begin, RoundTripRequest<W.BeginQuorumEpochRequest>(begin).Message);
        var beginResponse = new BeginQuorumEpochResponse(0, 1, 9);
        Assert.Equal(beginResponse, RoundTripResponse<W.BeginQuorumEpochResponse>(begin, beginResponse, RaftWire.BeginQuorumEpochVersion));

        var end = new EndQuorumEpochRequest(null, 1, 9, [3, 2]);
        var (message, source) = RoundTripRequest<W.EndQuorumEpochRequest>(end);
        var decoded = Assert.IsType<EndQuorumEpochRequest>(message);
        Assert.Equal(1, source);
        Assert.Equal((end.LeaderId, end.LeaderEpoch), (decoded.LeaderId, decoded.LeaderEpoch));
        Assert.Equal([3, 2], decoded.PreferredSuccessors);
        var endResponse = new EndQuorumEpochResponse(RaftErrors.FencedLeaderEpoch, 2, 10);
        Assert.Equal(endResponse, RoundTripResponse<W.EndQuorumEpochResponse>(end, endResponse, RaftWire.EndQuorumEpochVersion));
    }

    [Fact]
    public void Fetch_round_trips_with_entries_as_record_batches()
    {
        var request = new FetchRequest("c", 2, 500, 4, 17, 3, 0);
        var (message, source) = RoundTripRequest<W.FetchRequest>(request);
        Assert.Equal(request, message);
        Assert.Equal(2, source);

        RaftEntry[] entries =
        [
            new(17, 3, RaftRecordType.Data, new byte[] { 1, 2, 3 }),
            new(18, 4, RaftRecordType.LeaderChange, LeaderChangeMessage.Encode(1, [1, 2, 3], [1, 2])),
            new(19, 4, RaftRecordType.Data, ReadOnlyMemory<byte>.Empty),
        ];
        var response = new FetchResponse(0, 18, 0, null, new LeaderIdAndEpoch(1, 4), null, entries);
        var back = Assert.IsType<FetchResponse>(RoundTripResponse<W.FetchResponse>(request, response, RaftWire.FetchVersion));
        Assert.Equal((0, 18L, 0L, (OffsetAndEpoch?)null, new LeaderIdAndEpoch(1, 4), (OffsetAndEpoch?)null),
            (back.ErrorCode, back.HighWatermark, back.LogStartOffset, back.DivergingEpoch, back.CurrentLeader, back.SnapshotId));
        Assert.Equal(entries.Length, back.Records.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            Assert.Equal((entries[i].Offset, entries[i].Epoch, entries[i].Type), (back.Records[i].Offset, back.Records[i].Epoch, back.Records[i].Type));
            Assert.Equal(entries[i].Value.ToArray(), back.Records[i].Value.ToArray());
        }
        Assert.Equal([1, 2], LeaderChangeMessage.Decode(back.Records[1].Value.Span).GrantingVoters);

        var diverging = new FetchResponse(0, 10, 0, new OffsetAndEpoch(12, 2), new LeaderIdAndEpoch(1, 4), null, []);
        var divergingBack = Assert.IsType<FetchResponse>(RoundTripResponse<W.FetchResponse>(request, diverging, RaftWire.FetchVersion));
        Assert.Equal(new OffsetAndEpoch(12, 2), divergingBack.DivergingEpoch);
        var snapshot = new FetchResponse(0, 10, 5, null, new LeaderIdAndEpoch(1, 4), new OffsetAndEpoch(5, 2), []);
        Assert.Equal(new OffsetAndEpoch(5, 2), Assert.IsType<FetchResponse>(RoundTripResponse<W.FetchResponse>(request, snapshot, RaftWire.FetchVersion)).SnapshotId);
    }

    [Fact]
    public void Fetch_snapshot_and_describe_quorum_round_trip()
    {
        var request = new FetchSnapshotRequest("c", 3, 1024, 4, new OffsetAndEpoch(100, 2), 512);
        Assert.Equal(request, RoundTripRequest<W.FetchSnapshotRequest>(request).Message);
        var chunk = new byte[] { 5, 6, 7 };
        var response = new FetchSnapshotResponse(0, new OffsetAndEpoch(100, 2), new LeaderIdAndEpoch(1, 4), 515, 512, chunk);
        var back = Assert.IsType<FetchSnapshotResponse>(RoundTripResponse<W.FetchSnapshotResponse>(request, response, RaftWire.FetchSnapshotVersion));
        Assert.Equal((response.SnapshotId, response.CurrentLeader, response.Size, response.Position), (back.SnapshotId, back.CurrentLeader, back.Size, back.Position));
        Assert.Equal(chunk, back.UnalignedRecords.ToArray());

        var describe = new DescribeQuorumRequest();
        Assert.IsType<DescribeQuorumRequest>(RoundTripRequest<W.DescribeQuorumRequest>(describe).Message);
        var quorum = new DescribeQuorumResponse(0, 1, 4, 99, [new ReplicaState(1, 100, -1, 5), new ReplicaState(2, 99, 4, 3)], [new ReplicaState(7, 50, 2, 1)]);
        var quorumBack = Assert.IsType<DescribeQuorumResponse>(RoundTripResponse<W.DescribeQuorumResponse>(describe, quorum, 2));
        Assert.Equal((1, 4, 99L), (quorumBack.LeaderId, quorumBack.LeaderEpoch, quorumBack.HighWatermark));
        Assert.Equal(quorum.CurrentVoters, quorumBack.CurrentVoters);
        Assert.Equal(quorum.Observers, quorumBack.Observers);
    }

    [Fact]
    public void Requests_for_other_partitions_are_not_raft_requests()
    {
        var fetch = new W.FetchRequest { Topics = [new() { Topic = "orders", Partitions = [new() { Partition = 0 }] }] };
        Assert.False(RaftWire.IsMetadataFetch(fetch));
        Assert.False(RaftWire.TryFromWireRequest(fetch, ReadOnlyMemory<byte>.Empty, 12, out _, out _));
        var vote = new W.VoteRequest { Topics = [new() { TopicName = "__cluster_metadata", Partitions = [new() { PartitionIndex = 1 }] }] };
        Assert.False(RaftWire.TryFromWireRequest(vote, ReadOnlyMemory<byte>.Empty, 1, out _, out _));
    }
}
