using System.Buffers.Binary;

namespace Broker.Protocol.Records;

/// <summary>Attributes bits of a v2 record batch.</summary>
[Flags]
public enum BatchAttributes : short
{
    None = 0,
    CompressionMask = 0x07,
    LogAppendTime = 0x08,
    Transactional = 0x10,
    Control = 0x20,
    DeleteHorizon = 0x40,
}

public enum CompressionType : byte
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}

/// <summary>
/// A zero-copy view of one magic v2 record batch's header:
/// baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
/// attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
/// producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
/// The CRC covers everything from attributes to the end of the batch.
/// </summary>
public readonly ref partial struct RecordBatch
{
    public const int HeaderSize = 61;
    /// <summary>baseOffset + batchLength: the bytes before what batchLength counts.</summary>
    public const int LogOverhead = 12;
    public const int MagicOffset = 16;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordCountOffset = 57;
    public const int PartitionLeaderEpochOffset = 12;

    private readonly ReadOnlySpan<byte> _bytes;

    /// <summary>Wraps exactly one batch (length = <see cref="TotalSize"/>); see <see cref="TryRead"/>.</summary>
    public RecordBatch(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public ReadOnlySpan<byte> Bytes => _bytes;
    public long BaseOffset => BinaryPrimitives.ReadInt64BigEndian(_bytes);
    public int BatchLength => BinaryPrimitives.ReadInt32BigEndian(_bytes.Slice(8));
    public int TotalSize => LogOverhead + BatchLength;
    public int PartitionLeaderEpoch => BinaryPrimitives.ReadInt32BigEndian(_bytes.Slice(PartitionLeaderEpochOffset));
    public sbyte Magic => (sbyte)_bytes[MagicOffset];
    public uint Crc => BinaryPrimitives.ReadUInt32BigEndian(_bytes.Slice(CrcOffset));
    public BatchAttributes Attributes => (BatchAttributes)BinaryPrimitives.ReadInt16BigEndian(_bytes.Slice(AttributesOffset));
    public CompressionType Compression => (CompressionType)((int)Attributes & 0x07);
    public bool IsTransactional => (Attributes & BatchAttributes.Transactional) != 0;
    public bool IsControl => (Attributes & BatchAttributes.Control) != 0;
    public bool IsLogAppendTime => (Attributes & BatchAttributes.LogAppendTime) != 0;
    public int LastOffsetDelta => BinaryPrimitives.ReadInt32BigEndian(_bytes.Slice(LastOffsetDeltaOffset));
    public long LastOffset => BaseOffset + LastOffsetDelta;
    public long NextOffset => LastOffset + 1;
    public long BaseTimestamp => BinaryPrimitives.ReadInt64BigEndian(_bytes.Slice(BaseTimestampOffset));
    public long MaxTimestamp => BinaryPrimitives.ReadInt64BigEndian(_bytes.Slice(MaxTimestampOffset));
    public long ProducerId => BinaryPrimitives.ReadInt64BigEndian(_bytes.Slice(ProducerIdOffset));
    public short ProducerEpoch => BinaryPrimitives.ReadInt16BigEndian(_bytes.Slice(ProducerEpochOffset));
    public int BaseSequence => BinaryPrimitives.ReadInt32BigEndian(_bytes.Slice(BaseSequenceOffset));
    public int RecordCount => BinaryPrimitives.ReadInt32BigEndian(_bytes.Slice(RecordCountOffset));
    public int LastSequence => BaseSequence < 0 ? -1 : (int)(((long)BaseSequence + LastOffsetDelta) % ((long)int.MaxValue + 1));
    /// <summary>The records section (possibly compressed).</summary>
    public ReadOnlySpan<byte> RecordsBytes => _bytes.Slice(HeaderSize, TotalSize - HeaderSize);

    public uint ComputeCrc() => Crc32C.Compute(_bytes.Slice(AttributesOffset, TotalSize - AttributesOffset));
    public bool IsCrcValid => Crc == ComputeCrc();

    /// <summary>
    /// Reads the batch at the start of <paramref name="buffer"/> if a whole, plausible v2 batch is
    /// there. Returns false when the buffer ends mid-batch (a torn tail) or the header is invalid.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out RecordBatch batch, out int size)
    {
        batch = default;
        size = 0;
        if (buffer.Length < HeaderSize)
        {
            return false;
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(buffer.Slice(8));
        if (length < HeaderSize - LogOverhead || length > buffer.Length - LogOverhead)
        {
            return false;
        }
        size = LogOverhead + length;
        batch = new RecordBatch(buffer.Slice(0, size));
        return batch.Magic == 2;
    }

    /// <summary>Rewrites the base offset in place; the CRC does not cover it.</summary>
    public static void SetBaseOffset(Span<byte> batch, long baseOffset) =>
        BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);

    /// <summary>Rewrites the partition leader epoch in place; the CRC does not cover it.</summary>
    public static void SetPartitionLeaderEpoch(Span<byte> batch, int epoch) =>
        BinaryPrimitives.WriteInt32BigEndian(batch.Slice(PartitionLeaderEpochOffset), epoch);

    /// <summary>Sets LogAppendTime: the attribute bit and max timestamp, then recomputes the CRC.</summary>
    public static void SetLogAppendTime(Span<byte> batch, long timestamp)
    {
        var attrs = BinaryPrimitives.ReadInt16BigEndian(batch.Slice(AttributesOffset));
        BinaryPrimitives.WriteInt16BigEndian(batch.Slice(AttributesOffset), (short)(attrs | (short)BatchAttributes.LogAppendTime));
        BinaryPrimitives.WriteInt64BigEndian(batch.Slice(MaxTimestampOffset), timestamp);
        var view = new RecordBatch(batch);
        BinaryPrimitives.WriteUInt32BigEndian(batch.Slice(CrcOffset), view.ComputeCrc());
    }
}
