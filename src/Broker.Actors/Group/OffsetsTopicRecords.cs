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

    /// <summary>Kafka 2.3+ (IBP 2.3 through 3.x) writes value v3: static members' instance ids, not yet flexible.</summary>
    public const short GroupMetadataValueVersion = 3;

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

    public static byte[] GroupMetadataKeyBytes(string groupId)
    {
        var key = new GroupMetadataKey { group = groupId };
        var bytes = new byte[2 + key.Size(GroupMetadataKeyVersion)];
        var writer = new KafkaWriter(bytes);
        writer.WriteInt16(GroupMetadataKeyVersion);
        key.Write(ref writer, GroupMetadataKeyVersion);
        return bytes;
    }

    public static byte[] GroupMetadataValueBytes(GroupMetadataValue value)
    {
        var bytes = new byte[2 + value.Size(GroupMetadataValueVersion)];
        var writer = new KafkaWriter(bytes);
        writer.WriteInt16(GroupMetadataValueVersion);
        value.Write(ref writer, GroupMetadataValueVersion);
        return bytes;
    }

    /// <summary>The key version: 0/1 offset commit, 2 classic group metadata, 3+ KIP-848 and share-group records.</summary>
    public static short KeyVersion(ReadOnlySpan<byte> key) =>
        key.Length < 2 ? (short)-1 : System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(key);

    public static GroupMetadataKey ReadGroupMetadataKey(ReadOnlyMemory<byte> key)
    {
        var reader = new KafkaReader(key);
        var version = reader.ReadInt16();
        if (version != GroupMetadataKeyVersion)
        {
            throw new InvalidDataException($"not a group metadata key (version {version})");
        }
        var decoded = new GroupMetadataKey();
        decoded.Read(ref reader, version);
        return decoded;
    }

    public static GroupMetadataValue ReadGroupMetadataValue(ReadOnlyMemory<byte> value)
    {
        var reader = new KafkaReader(value);
        var version = reader.ReadInt16();
        if (version is < GroupMetadataValue.LowestVersion or > GroupMetadataValue.HighestVersion)
        {
            throw new InvalidDataException($"unknown GroupMetadataValue version {version}");
        }
        var decoded = new GroupMetadataValue();
        decoded.Read(ref reader, version);
        return decoded;
    }
}
