using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Actors.Metadata;

/// <summary>
/// A committed metadata batch as the value of one Raft entry: uvarint count, then each record as a uvarint
/// length and its KRaft frame (<see cref="MetadataRecordSerde"/>). One entry per batch keeps a command's
/// records atomic: they commit together or not at all.
/// </summary>
public static class MetadataBatchCodec
{
    public static byte[] Encode(IReadOnlyList<IKafkaMessage> records)
    {
        var frames = new byte[records.Count][];
        var size = KafkaEncoding.SizeOfUnsignedVarInt((uint)records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            frames[i] = MetadataRecordSerde.Serialize(records[i]);
            size += KafkaEncoding.SizeOfUnsignedVarInt((uint)frames[i].Length) + frames[i].Length;
        }
        var bytes = new byte[size];
        var writer = new KafkaWriter(bytes);
        writer.WriteUnsignedVarInt((uint)records.Count);
        foreach (var frame in frames)
        {
            writer.WriteUnsignedVarInt((uint)frame.Length);
            writer.WriteRaw(frame);
        }
        return bytes;
    }

    public static List<IKafkaMessage> Decode(ReadOnlyMemory<byte> value)
    {
        var reader = new KafkaReader(value);
        var count = reader.ReadUnsignedVarInt();
        // Each record takes at least two bytes (length and frame version): check before allocating.
        if (count > (uint)reader.Remaining / 2)
        {
            throw new ProtocolException($"metadata batch of {count} records does not fit in {value.Length} bytes");
        }
        var records = new List<IKafkaMessage>((int)count);
        for (var i = 0; i < count; i++)
        {
            var length = reader.ReadUnsignedVarInt();
            if (length > (uint)reader.Remaining)
            {
                throw new ProtocolException($"metadata record of {length} bytes overruns its batch");
            }
            var start = reader.Position;
            records.Add(MetadataRecordSerde.Deserialize(value.Slice(start, (int)length)));
            reader.Skip((int)length);
        }
        return records;
    }
}
