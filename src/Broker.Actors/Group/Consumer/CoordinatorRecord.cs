using Broker.Protocol.Coordinator;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Actors.Group.Consumer;

/// <summary>
/// One __consumer_offsets record of a consumer-protocol group, as Kafka writes it: the key is an int16 record type
/// (3 group epoch, 4 subscription metadata, 5 member metadata, 6 target assignment epoch, 7 target assignment of a
/// member, 8 current assignment of a member) followed by the generated key; the value is an int16 version (0)
/// followed by the generated value, or absent (a tombstone).
/// </summary>
public sealed record CoordinatorRecord(short KeyVersion, IKafkaMessage Key, IKafkaMessage? Value)
{
    public const short ValueVersion = 0;

    public byte[] KeyBytes() => Serialize(KeyVersion, Key);

    public byte[]? ValueBytes() => Value is null ? null : Serialize(ValueVersion, Value);

    private static byte[] Serialize(short version, IKafkaMessage message)
    {
        var bytes = new byte[2 + message.Size(version)];
        var writer = new KafkaWriter(bytes);
        writer.WriteInt16(version);
        message.Write(ref writer, version);
        return bytes;
    }

    /// <summary>Whether a key's type is one of the consumer-group records (3 to 8).</summary>
    public static bool IsConsumerGroupKey(ReadOnlySpan<byte> key) =>
        key.Length >= 2 && (short)((key[0] << 8) | key[1]) is >= 3 and <= 8;

    /// <summary>Decodes a consumer-group record from bytes; a null value is a tombstone.</summary>
    public static CoordinatorRecord? Parse(byte[] key, byte[]? value) =>
        Parse(key, value is null ? (ReadOnlyMemory<byte>?)null : new ReadOnlyMemory<byte>(value));

    /// <summary>Decodes a consumer-group record; null when the key is of another type (offsets, classic metadata, share groups).</summary>
    public static CoordinatorRecord? Parse(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? value)
    {
        var reader = new KafkaReader(key);
        var keyVersion = reader.ReadInt16();
        IKafkaMessage? k = keyVersion switch
        {
            3 => new ConsumerGroupMetadataKey(),
            4 => new ConsumerGroupPartitionMetadataKey(),
            5 => new ConsumerGroupMemberMetadataKey(),
            6 => new ConsumerGroupTargetAssignmentMetadataKey(),
            7 => new ConsumerGroupTargetAssignmentMemberKey(),
            8 => new ConsumerGroupCurrentMemberAssignmentKey(),
            _ => null,
        };
        if (k is null)
        {
            return null;
        }
        k.Read(ref reader, keyVersion);
        if (value is not { } v)
        {
            return new CoordinatorRecord(keyVersion, k, null);
        }
        var valueReader = new KafkaReader(v);
        var valueVersion = valueReader.ReadInt16();
        if (valueVersion != ValueVersion)
        {
            throw new InvalidDataException($"consumer group record type {keyVersion}: unknown value version {valueVersion}");
        }
        IKafkaMessage val = keyVersion switch
        {
            3 => new ConsumerGroupMetadataValue(),
            4 => new ConsumerGroupPartitionMetadataValue(),
            5 => new ConsumerGroupMemberMetadataValue(),
            6 => new ConsumerGroupTargetAssignmentMetadataValue(),
            7 => new ConsumerGroupTargetAssignmentMemberValue(),
            _ => new ConsumerGroupCurrentMemberAssignmentValue(),
        };
        val.Read(ref valueReader, valueVersion);
        return new CoordinatorRecord(keyVersion, k, val);
    }

    /// <summary>The group a record belongs to (every key starts with it).</summary>
    public string GroupId => Key switch
    {
        ConsumerGroupMetadataKey k => k.GroupId,
        ConsumerGroupPartitionMetadataKey k => k.GroupId,
        ConsumerGroupMemberMetadataKey k => k.GroupId,
        ConsumerGroupTargetAssignmentMetadataKey k => k.GroupId,
        ConsumerGroupTargetAssignmentMemberKey k => k.GroupId,
        ConsumerGroupCurrentMemberAssignmentKey k => k.GroupId,
        _ => throw new InvalidOperationException($"not a consumer group key: {Key.GetType().Name}"),
    };
}
