using System.Buffers;
using System.Buffers.Binary;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records;

namespace Broker.Actors.Metadata;

/// <summary>
/// A metadata snapshot's bytes, as Kafka lays out a <c>.checkpoint</c>: v2 record batches starting with a
/// SnapshotHeader control record (type 3), then the image as metadata records (one record each, framed by
/// <see cref="MetadataRecordSerde"/>), ending with a SnapshotFooter control record (type 4). A snapshot
/// without its footer is incomplete and rejected.
/// </summary>
public static class MetadataSnapshot
{
    private const short SnapshotHeaderType = 3;
    private const short SnapshotFooterType = 4;
    private const int RecordsPerBatch = 512;

    public static byte[] Encode(IReadOnlyList<IKafkaMessage> records, long lastContainedLogTimestamp)
    {
        var output = new ArrayBufferWriter<byte>(4096);
        using var builder = new RecordBatchBuilder();
        var offset = 0L;
        WriteControl(builder, output, ref offset, SnapshotHeaderType, new SnapshotHeaderRecord { Version = 0, LastContainedLogTimestamp = lastContainedLogTimestamp });
        for (var start = 0; start < records.Count; start += RecordsPerBatch)
        {
            builder.Reset();
            builder.IsControl = false;
            builder.BaseOffset = offset;
            var end = Math.Min(records.Count, start + RecordsPerBatch);
            for (var i = start; i < end; i++)
            {
                builder.Append(lastContainedLogTimestamp, null, MetadataRecordSerde.Serialize(records[i]));
            }
            builder.WriteTo(output);
            offset += end - start;
        }
        WriteControl(builder, output, ref offset, SnapshotFooterType, new SnapshotFooterRecord { Version = 0 });
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The metadata records of a snapshot (header and footer checked and left out).</summary>
    public static List<IKafkaMessage> Decode(ReadOnlyMemory<byte> snapshot)
    {
        var records = new List<IKafkaMessage>();
        var rest = snapshot;
        var sawHeader = false;
        var sawFooter = false;
        while (rest.Length > 0)
        {
            if (!RecordBatch.TryRead(rest.Span, out var batch, out var size) || !batch.IsCrcValid)
            {
                throw new ProtocolException("metadata snapshot holds a torn or corrupt batch");
            }
            foreach (var record in batch.GetRecords())
            {
                if (batch.IsControl)
                {
                    var type = record.Key.Length >= 4 ? BinaryPrimitives.ReadInt16BigEndian(record.Key[2..]) : (short)-1;
                    sawHeader |= type == SnapshotHeaderType;
                    sawFooter |= type == SnapshotFooterType;
                }
                else if (!record.ValueIsNull)
                {
                    if (!sawHeader || sawFooter)
                    {
                        throw new ProtocolException("metadata snapshot record outside its header and footer");
                    }
                    records.Add(MetadataRecordSerde.Deserialize(record.Value.ToArray()));
                }
            }
            rest = rest[size..];
        }
        if (!sawHeader || !sawFooter)
        {
            throw new ProtocolException("metadata snapshot without its header or footer");
        }
        return records;
    }

    private static void WriteControl(RecordBatchBuilder builder, IBufferWriter<byte> output, ref long offset, short type, IKafkaMessage value)
    {
        builder.Reset();
        builder.IsControl = true;
        builder.BaseOffset = offset++;
        Span<byte> key = stackalloc byte[4];
        BinaryPrimitives.WriteInt16BigEndian(key, 0);
        BinaryPrimitives.WriteInt16BigEndian(key[2..], type);
        var bytes = new byte[value.Size(0)];
        var writer = new Broker.Protocol.Primitives.KafkaWriter(bytes);
        value.Write(ref writer, 0);
        builder.Append(0, key, false, bytes, false, default);
        builder.WriteTo(output);
    }
}
