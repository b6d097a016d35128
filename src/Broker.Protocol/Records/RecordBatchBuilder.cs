using System.Buffers;
using System.Buffers.Binary;
using Broker.Protocol.Records.Compression;

namespace Broker.Protocol.Records;

/// <summary>
/// Builds one magic v2 record batch. Records are encoded as they are appended into a pooled
/// buffer; <see cref="WriteTo"/> then writes the header, the (optionally compressed) records and
/// the CRC in one pass. Reusable: <see cref="Reset"/> clears the records and keeps the settings.
/// The first record's timestamp is the batch's base timestamp, as Kafka's producers do.
/// </summary>
public sealed class RecordBatchBuilder : IDisposable
{
    private readonly PooledBufferWriter _records;
    private PooledBufferWriter? _compressed;
    private int _count;
    private int _lastOffsetDelta = -1;
    private long _baseTimestamp;
    private long _maxTimestamp = -1;

    public RecordBatchBuilder(CompressionType compression = CompressionType.None, int initialCapacity = 16 * 1024)
    {
        Compression = compression;
        _records = new PooledBufferWriter(initialCapacity);
    }

    public CompressionType Compression { get; set; }
    /// <summary>Overrides the default codec for <see cref="Compression"/> (e.g. another level).</summary>
    public ICompressionCodec? Codec { get; set; }
    public long BaseOffset { get; set; }
    public int PartitionLeaderEpoch { get; set; } = -1;
    public long ProducerId { get; set; } = -1;
    public short ProducerEpoch { get; set; } = -1;
    public int BaseSequence { get; set; } = -1;
    public bool IsTransactional { get; set; }
    public bool IsControl { get; set; }
    /// <summary>When set, the batch is marked LogAppendTime and this is its max timestamp.</summary>
    public long? LogAppendTime { get; set; }

    public int Count => _count;
    public int UncompressedRecordsSize => _records.WrittenCount;
    /// <summary>The size of the batch if written uncompressed.</summary>
    public int UncompressedBatchSize => RecordBatch.HeaderSize + _records.WrittenCount;

    public void Reset()
    {
        _records.Clear();
        _count = 0;
        _lastOffsetDelta = -1;
        _maxTimestamp = -1;
    }

    /// <summary>Convenience overload where null arrays are null key / value.</summary>
    public void Append(long timestamp, byte[]? key, byte[]? value, params RecordHeaderData[] headers) =>
        Append(timestamp, key, key is null, value, value is null, headers);

    /// <summary>
    /// Appends the next record. <paramref name="offsetDelta"/> defaults to the next offset; a larger
    /// one leaves a gap (as compaction does). Allocates nothing once the buffer has grown.
    /// </summary>
    public void Append(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull,
        ReadOnlySpan<RecordHeaderData> headers, int offsetDelta = -1)
    {
        var headersSize = 0;
        foreach (ref readonly var h in headers)
        {
            headersSize += h.EncodedSize;
        }
        var span = BeginRecord(timestamp, key, keyIsNull, value, valueIsNull, headers.Length, headersSize, ref offsetDelta, out var o);
        foreach (ref readonly var h in headers)
        {
            o = WriteNullable(span, o, h.Key.Span, false);
            o = WriteNullable(span, o, h.Value.Span, h.ValueIsNull);
        }
        EndRecord(o, timestamp, offsetDelta);
    }

    /// <summary>
    /// Re-appends a record read from another batch (compaction, conversion), copying its encoded
    /// headers as they are. The timestamp is absolute; the offset delta defaults to the next one.
    /// </summary>
    public void Append(in Record record, long timestamp, int offsetDelta = -1)
    {
        var span = BeginRecord(timestamp, record.Key, record.KeyIsNull, record.Value, record.ValueIsNull,
            record.HeaderCount, record.HeadersBytes.Length, ref offsetDelta, out var o);
        record.HeadersBytes.CopyTo(span.Slice(o));
        EndRecord(o + record.HeadersBytes.Length, timestamp, offsetDelta);
    }

    /// <summary>Sizes the record, reserves it and writes everything up to the headers.</summary>
    private Span<byte> BeginRecord(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull,
        int headerCount, int headersSize, ref int offsetDelta, out int o)
    {
        if (offsetDelta < 0)
        {
            offsetDelta = _lastOffsetDelta + 1;
        }
        else if (offsetDelta <= _lastOffsetDelta)
        {
            throw new ArgumentOutOfRangeException(nameof(offsetDelta), "offset deltas must increase");
        }
        if (_count == 0)
        {
            _baseTimestamp = timestamp;
        }
        var timestampDelta = timestamp - _baseTimestamp;
        var bodySize = 1 + Varint.SizeOfVarLong(timestampDelta) + Varint.SizeOfVarInt(offsetDelta) +
            (keyIsNull ? 1 : Varint.SizeOfVarInt(key.Length) + key.Length) +
            (valueIsNull ? 1 : Varint.SizeOfVarInt(value.Length) + value.Length) +
            Varint.SizeOfVarInt(headerCount) + headersSize;
        var span = _records.GetSpan(Varint.SizeOfVarInt(bodySize) + bodySize);
        o = Varint.WriteVarInt(span, bodySize);
        span[o++] = 0; // record attributes: unused by Kafka
        o += Varint.WriteVarLong(span.Slice(o), timestampDelta);
        o += Varint.WriteVarInt(span.Slice(o), offsetDelta);
        o = WriteNullable(span, o, key, keyIsNull);
        o = WriteNullable(span, o, value, valueIsNull);
        o += Varint.WriteVarInt(span.Slice(o), headerCount);
        return span;
    }

    private void EndRecord(int written, long timestamp, int offsetDelta)
    {
        _records.Advance(written);
        _count++;
        _lastOffsetDelta = offsetDelta;
        if (timestamp > _maxTimestamp)
        {
            _maxTimestamp = timestamp;
        }
    }

    private static int WriteNullable(Span<byte> span, int o, ReadOnlySpan<byte> bytes, bool isNull)
    {
        if (isNull)
        {
            o += Varint.WriteVarInt(span.Slice(o), -1);
            return o;
        }
        o += Varint.WriteVarInt(span.Slice(o), bytes.Length);
        bytes.CopyTo(span.Slice(o));
        return o + bytes.Length;
    }

    /// <summary>
    /// Appends a transaction end marker (a control record: key = version 0 + type, value = version 0 +
    /// coordinator epoch) and marks the batch transactional and control.
    /// </summary>
    public void AppendEndTransactionMarker(long timestamp, bool commit, int coordinatorEpoch)
    {
        IsControl = true;
        IsTransactional = true;
        Span<byte> key = stackalloc byte[4];
        BinaryPrimitives.WriteInt16BigEndian(key, 0);
        BinaryPrimitives.WriteInt16BigEndian(key.Slice(2), commit ? (short)1 : (short)0);
        Span<byte> value = stackalloc byte[6];
        BinaryPrimitives.WriteInt16BigEndian(value, 0);
        BinaryPrimitives.WriteInt32BigEndian(value.Slice(2), coordinatorEpoch);
        Append(timestamp, key, false, value, false, default);
    }

    /// <summary>Writes the batch; returns its size. Throws if no record was appended.</summary>
    public int WriteTo(IBufferWriter<byte> destination)
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("a record batch needs at least one record");
        }
        ReadOnlySpan<byte> payload = _records.WrittenSpan;
        if (Compression != CompressionType.None)
        {
            _compressed ??= new PooledBufferWriter(_records.Capacity);
            _compressed.Clear();
            (Codec ?? CompressionCodecs.Get(Compression)).Compress(payload, _compressed);
            payload = _compressed.WrittenSpan;
        }
        var size = RecordBatch.HeaderSize + payload.Length;
        var batch = destination.GetSpan(size).Slice(0, size);
        var attributes = (short)((short)Compression & (short)BatchAttributes.CompressionMask);
        if (IsTransactional)
        {
            attributes |= (short)BatchAttributes.Transactional;
        }
        if (IsControl)
        {
            attributes |= (short)BatchAttributes.Control;
        }
        if (LogAppendTime.HasValue)
        {
            attributes |= (short)BatchAttributes.LogAppendTime;
        }
        BinaryPrimitives.WriteInt64BigEndian(batch, BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(8), size - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(RecordBatch.PartitionLeaderEpochOffset), PartitionLeaderEpoch);
        batch[RecordBatch.MagicOffset] = 2;
        BinaryPrimitives.WriteInt16BigEndian(batch.Slice(RecordBatch.AttributesOffset), attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(RecordBatch.LastOffsetDeltaOffset), _lastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(RecordBatch.BaseTimestampOffset), _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(RecordBatch.MaxTimestampOffset), LogAppendTime ?? _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(RecordBatch.ProducerIdOffset), ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch.Slice(RecordBatch.ProducerEpochOffset), ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(RecordBatch.BaseSequenceOffset), BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(RecordBatch.RecordCountOffset), _count);
        payload.CopyTo(batch.Slice(RecordBatch.HeaderSize));
        BinaryPrimitives.WriteUInt32BigEndian(batch.Slice(RecordBatch.CrcOffset),
            Crc32C.Compute(batch.Slice(RecordBatch.AttributesOffset)));
        destination.Advance(size);
        return size;
    }

    /// <summary>Writes the batch to a new array (tests and tools).</summary>
    public byte[] ToArray()
    {
        using var w = new PooledBufferWriter(UncompressedBatchSize + 64);
        WriteTo(w);
        return w.WrittenSpan.ToArray();
    }

    public void Dispose()
    {
        _records.Dispose();
        _compressed?.Dispose();
    }
}
