using System.Buffers;
using System.Buffers.Binary;
using Broker.Protocol.Records;

namespace Broker.Actors.Raft.Storage;

/// <summary>
/// One <see cref="RaftEntry"/> as one Kafka v2 record batch, the form entries take on disk
/// (<c>__cluster_metadata-0/*.log</c>) and on the wire (FetchResponse records): base offset = the entry's
/// offset, partition leader epoch = its epoch, one record. A LeaderChange entry is a control batch whose
/// record key is Kafka's control key (version 0, type 2). Entries occupy one offset each (the core's unit),
/// so a metadata batch is one entry whose value the quorum layer frames.
/// </summary>
public static class RaftRecordCodec
{
    private const short ControlKeyVersion = 0;

    /// <summary>Appends the batch for <paramref name="entry"/> to <paramref name="destination"/>; returns its size.</summary>
    public static int Write(in RaftEntry entry, RecordBatchBuilder builder, IBufferWriter<byte> destination)
    {
        builder.Reset();
        builder.BaseOffset = entry.Offset;
        builder.PartitionLeaderEpoch = entry.Epoch;
        builder.IsControl = entry.Type != RaftRecordType.Data;
        if (builder.IsControl)
        {
            Span<byte> key = stackalloc byte[4];
            BinaryPrimitives.WriteInt16BigEndian(key, ControlKeyVersion);
            BinaryPrimitives.WriteInt16BigEndian(key[2..], (short)entry.Type);
            builder.Append(0, key, false, entry.Value.Span, false, default);
        }
        else
        {
            builder.Append(0, default, true, entry.Value.Span, false, default);
        }
        return builder.WriteTo(destination);
    }

    /// <summary>Encodes entries back to back (a FetchResponse's records).</summary>
    public static byte[] Encode(IReadOnlyList<RaftEntry> entries)
    {
        if (entries.Count == 0)
        {
            return [];
        }
        using var builder = new RecordBatchBuilder(initialCapacity: 256);
        var output = new ArrayBufferWriter<byte>(256 * entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            Write(entries[i], builder, output);
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads the entry at the start of <paramref name="buffer"/>. False when the buffer ends mid-batch, the
    /// CRC does not match, or the batch is not one uncompressed record (a torn or foreign tail). The value
    /// is a slice of <paramref name="buffer"/>, not a copy.
    /// </summary>
    public static bool TryRead(ReadOnlyMemory<byte> buffer, out RaftEntry entry, out int size)
    {
        entry = default;
        var span = buffer.Span;
        if (!RecordBatch.TryRead(span, out var batch, out size) || !batch.IsCrcValid
            || batch.Compression != CompressionType.None || batch.RecordCount != 1 || batch.LastOffsetDelta != 0)
        {
            return false;
        }
        var type = RaftRecordType.Data;
        var records = batch.GetRecords();
        if (!records.MoveNext())
        {
            return false;
        }
        var record = records.Current;
        if (batch.IsControl)
        {
            if (record.KeyIsNull || record.Key.Length < 4 || BinaryPrimitives.ReadInt16BigEndian(record.Key) != ControlKeyVersion)
            {
                return false;
            }
            type = (RaftRecordType)BinaryPrimitives.ReadInt16BigEndian(record.Key[2..]);
            if (type == RaftRecordType.Data)
            {
                return false;
            }
        }
        if (record.ValueIsNull)
        {
            return false;
        }
        var value = ReadOnlyMemory<byte>.Empty;
        if (record.Value.Length > 0)
        {
            if (!span.Overlaps(record.Value, out var valueOffset))
            {
                return false;
            }
            value = buffer.Slice(valueOffset, record.Value.Length);
        }
        entry = new RaftEntry(batch.BaseOffset, batch.PartitionLeaderEpoch, type, value);
        return true;
    }

    /// <summary>Decodes back-to-back entries; stops at the first batch that does not decode (a fetch may end mid-batch).</summary>
    public static List<RaftEntry> Decode(ReadOnlyMemory<byte> records)
    {
        var entries = new List<RaftEntry>();
        while (records.Length > 0 && TryRead(records, out var entry, out var size))
        {
            entries.Add(entry);
            records = records[size..];
        }
        return entries;
    }
}
