using Broker.Actors.Group;

namespace Broker.Actors.Tests.Group;

/// <summary>__consumer_offsets records byte for byte as Kafka writes them, and replay semantics (latest wins, tombstone deletes).</summary>
public sealed class OffsetsTopicRecordsTests
{
    [Fact]
    public void Offset_commit_key_is_version_1_then_group_topic_partition()
    {
        var bytes = OffsetsTopicRecords.OffsetCommitKeyBytes("g", "t", 2);
        Assert.Equal(Convert.FromHexString("0001" + "0001" + "67" + "0001" + "74" + "00000002"), bytes);
        var key = OffsetsTopicRecords.ReadOffsetCommitKey(bytes);
        Assert.NotNull(key);
        Assert.Equal(("g", "t", 2), (key.group, key.topic, key.partition));
    }

    [Fact]
    public void Offset_commit_value_is_version_3_offset_epoch_metadata_timestamp()
    {
        var bytes = OffsetsTopicRecords.OffsetCommitValueBytes(new CommittedOffset(42, 5, "m", 1000));
        Assert.Equal(Convert.FromHexString("0003" + "000000000000002A" + "00000005" + "0001" + "6D" + "00000000000003E8"), bytes);
        var value = OffsetsTopicRecords.ReadOffsetCommitValue(bytes);
        Assert.Equal((42L, 5, "m", 1000L), (value.offset, value.leaderEpoch, value.metadata, value.commitTimestamp));
    }

    [Fact]
    public void Group_metadata_keys_are_not_offset_commits()
    {
        Assert.Null(OffsetsTopicRecords.ReadOffsetCommitKey(Convert.FromHexString("0002" + "0001" + "67")));
    }

    [Fact]
    public void Group_metadata_key_is_version_2_then_group()
    {
        var bytes = OffsetsTopicRecords.GroupMetadataKeyBytes("g");
        Assert.Equal(Convert.FromHexString("0002" + "0001" + "67"), bytes);
        Assert.Equal("g", OffsetsTopicRecords.ReadGroupMetadataKey(bytes).group);
    }

    [Fact]
    public void Group_metadata_value_is_version_3_with_static_instance_ids()
    {
        var value = new Broker.Protocol.Coordinator.GroupMetadataValue
        {
            protocolType = "consumer", generation = 2, protocol = "range", leader = "m", currentStateTimestamp = 5,
            members = [new() { memberId = "m", groupInstanceId = "i", clientId = "c", clientHost = "/h", rebalanceTimeout = 7, sessionTimeout = 6, subscription = new byte[] { 1 }, assignment = new byte[] { 2 } }],
        };
        var bytes = OffsetsTopicRecords.GroupMetadataValueBytes(value);
        Assert.Equal(Convert.FromHexString(
            "0003" + "0008" + "636F6E73756D6572" + "00000002" + "0005" + "72616E6765" + "0001" + "6D" + "0000000000000005"
            + "00000001" + "0001" + "6D" + "0001" + "69" + "0001" + "63" + "0002" + "2F68" + "00000007" + "00000006" + "00000001" + "01" + "00000001" + "02"), bytes);
        var back = OffsetsTopicRecords.ReadGroupMetadataValue(bytes);
        Assert.Equal("i", back.members.Single().groupInstanceId);
        Assert.Equal(new byte[] { 2 }, back.members.Single().assignment.ToArray());
    }
}
