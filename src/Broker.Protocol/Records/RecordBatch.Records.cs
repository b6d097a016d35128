using Broker.Protocol.Primitives;
using Broker.Protocol.Records.Compression;

namespace Broker.Protocol.Records;

public readonly ref partial struct RecordBatch
{
    /// <summary>The records of an uncompressed batch, as slices of the batch.</summary>
    public RecordEnumerator GetRecords()
    {
        if (Compression != CompressionType.None)
        {
            throw new InvalidOperationException($"the batch is {Compression}-compressed: pass a buffer to decompress into");
        }
        return new RecordEnumerator(RecordsBytes, CheckedRecordCount());
    }

    /// <summary>
    /// The records of any batch. A compressed batch's records are decompressed into
    /// <paramref name="scratch"/> (cleared first) and the records are slices of it, valid until it is
    /// next written. Decompression stops with a <see cref="ProtocolException"/> beyond
    /// <paramref name="maxDecompressedBytes"/>.
    /// </summary>
    public RecordEnumerator GetRecords(PooledBufferWriter scratch, int maxDecompressedBytes = CompressionCodecs.DefaultMaxDecompressedBytes)
    {
        var compression = Compression;
        if (compression == CompressionType.None)
        {
            return GetRecords();
        }
        if (!CompressionCodecs.IsKnown(compression))
        {
            throw new ProtocolException($"unknown compression type id {(int)compression}");
        }
        scratch.Clear();
        CompressionCodecs.Get(compression).Decompress(RecordsBytes, scratch, maxDecompressedBytes);
        return new RecordEnumerator(scratch.WrittenSpan, CheckedRecordCount());
    }

    /// <summary>A record's timestamp: the batch's max timestamp under LogAppendTime, else base + delta.</summary>
    public long TimestampOf(in Record record) => IsLogAppendTime ? MaxTimestamp : BaseTimestamp + record.TimestampDelta;

    /// <summary>A record's absolute offset.</summary>
    public long OffsetOf(in Record record) => BaseOffset + record.OffsetDelta;

    private int CheckedRecordCount()
    {
        var count = RecordCount;
        return count >= 0 ? count : throw new ProtocolException($"negative record count {count}");
    }
}
