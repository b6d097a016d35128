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
    public void Replay_keeps_the_latest_value_and_a_tombstone_deletes()
    {
        using var coordinator = new GroupCoordinator(new GroupCoordinatorSettings(6000, 1_800_000, 0, 1000, 50));
        coordinator.LoadOffset("g", "t", 0, new CommittedOffset(1, -1, string.Empty, 0));
        coordinator.LoadOffset("g", "t", 0, new CommittedOffset(9, -1, string.Empty, 0));
        coordinator.LoadOffset("g", "t", 1, new CommittedOffset(3, -1, string.Empty, 0));
        coordinator.LoadOffset("g", "t", 1, null);
        var offsets = coordinator.FetchOffsets("g", null);
        Assert.Equal([("t", 0, 9L)], offsets.Select(o => (o.Topic, o.Partition, o.Offset!.Value.Offset)).ToList());
        Assert.Equal([("t", 0)], coordinator.OffsetPartitions("g"));
    }
}
