using Broker.Protocol.Coordinator;
using Broker.Protocol.Primitives;

namespace Broker.Actors.Group;

/// <summary>
/// Kafka's record formats of __consumer_offsets: a key and a value, each an int16 version followed by
/// the generated coordinator message. Key versions 0 and 1 are offset commits, 2 is group metadata.
/// </summary>
public static class OffsetsTopicRecords
{
    public const string TopicName = "__consumer_offsets";
    public const short OffsetCommitKeyVersion = 1;
    public const short OffsetCommitValueVersion = 3;
    public const short GroupMetadataKeyVersion = 2;

    public static byte[] OffsetCommitKeyBytes(string groupId, string topic, int partition)
    {
        var key = new OffsetCommitKey { group = groupId, topic = topic, partition = partition };
        var bytes = new byte[2 + key.Size(OffsetCommitKeyVersion)];
        var writer = new KafkaWriter(bytes);
        writer.WriteInt16(OffsetCommitKeyVersion);
        key.Write(ref writer, OffsetCommitKeyVersion);
        return bytes;
    }

    public static byte[] OffsetCommitValueBytes(CommittedOffset offset)
    {
        var value = new OffsetCommitValue
        {
            offset = offset.Offset,
            leaderEpoch = offset.LeaderEpoch,
            metadata = offset.Metadata ?? string.Empty,
            commitTimestamp = offset.CommitTimestampMs,
        };
        var bytes = new byte[2 + value.Size(OffsetCommitValueVersion)];
        var writer = new KafkaWriter(bytes);
        writer.WriteInt16(OffsetCommitValueVersion);
        value.Write(ref writer, OffsetCommitValueVersion);
        return bytes;
    }

    /// <summary>Decodes an offset-commit key; null for the other record types (group metadata, KIP-848 records).</summary>
    public static OffsetCommitKey? ReadOffsetCommitKey(ReadOnlyMemory<byte> key)
    {
        var reader = new KafkaReader(key);
        var version = reader.ReadInt16();
        if (version is < 0 or > 1)
        {
            return null;
        }
        var decoded = new OffsetCommitKey();
        decoded.Read(ref reader, version);
        return decoded;
    }

    public static OffsetCommitValue ReadOffsetCommitValue(ReadOnlyMemory<byte> value)
    {
        var reader = new KafkaReader(value);
        var version = reader.ReadInt16();
        if (version is < OffsetCommitValue.LowestVersion or > OffsetCommitValue.HighestVersion)
        {
            throw new InvalidDataException($"unknown OffsetCommitValue version {version}");
        }
        var decoded = new OffsetCommitValue();
        decoded.Read(ref reader, version);
        return decoded;
    }
}
