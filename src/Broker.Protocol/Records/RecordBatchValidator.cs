using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records.Compression;

namespace Broker.Protocol.Records;

/// <summary>What the produce path checks; the defaults are a client produce v3+ with Kafka's defaults.</summary>
public sealed class BatchValidationOptions
{
    public static BatchValidationOptions ClientProduce { get; } = new();

    /// <summary>max.message.bytes: the largest batch accepted (Kafka's default 1048588).</summary>
    public int MaxBatchSize { get; init; } = 1_048_588;
    /// <summary>Produce v3+ carries exactly one batch per partition.</summary>
    public bool RequireSingleBatch { get; init; } = true;
    /// <summary>Clients send base offset 0; the leader assigns offsets.</summary>
    public bool RequireZeroBaseOffset { get; init; } = true;
    /// <summary>Only the transaction coordinator writes control batches.</summary>
    public bool AllowControlBatches { get; init; }
    /// <summary>Compacted topics reject records without a key.</summary>
    public bool RequireKeys { get; init; }
    /// <summary>zstd needs produce v7+.</summary>
    public bool AllowZstd { get; init; } = true;
    /// <summary>Decompress compressed batches to check their records, as Kafka's LogValidator does.</summary>
    public bool ValidateCompressedRecords { get; init; } = true;
    public int MaxDecompressedBytes { get; init; } = CompressionCodecs.DefaultMaxDecompressedBytes;
    /// <summary>The broker's clock for the timestamp bounds below (CreateTime records only).</summary>
    public long NowMs { get; init; }
    /// <summary>log.message.timestamp.before.max.ms: how far in the past a record's timestamp may be.</summary>
    public long TimestampBeforeMaxMs { get; init; } = long.MaxValue;
    /// <summary>log.message.timestamp.after.max.ms: how far in the future a record's timestamp may be.</summary>
    public long TimestampAfterMaxMs { get; init; } = long.MaxValue;
}

/// <summary>
/// The outcome of <see cref="RecordBatchValidator.Validate"/>; <see cref="Message"/> is set only on error.
/// <see cref="MaxTimestamp"/> comes from the records themselves when they were read (the header's
/// otherwise), and <see cref="OffsetDeltaOfMaxTimestamp"/> is the index of the record that has it
/// (the last record when only headers were read), as the time index needs.
/// </summary>
public readonly record struct BatchValidationResult(
    ErrorCode Error, string? Message, int BatchCount, int RecordCount, long MaxTimestamp, int OffsetDeltaOfMaxTimestamp)
{
    public bool IsValid => Error == ErrorCode.None;
}

/// <summary>
/// Checks the records of a produce request before they reach the log: magic 2, sizes, CRC,
/// compression, the header's counts against the records themselves. Reports a Kafka error code
/// instead of throwing, since a bad batch fails one partition, not the connection.
/// </summary>
public static class RecordBatchValidator
{
    public static BatchValidationResult Validate(ReadOnlySpan<byte> records, BatchValidationOptions? options = null, PooledBufferWriter? scratch = null)
    {
        options ??= BatchValidationOptions.ClientProduce;
        if (records.IsEmpty)
        {
            return Fail(ErrorCode.InvalidRecord, "the request carries no record batch");
        }
        var batches = 0;
        var recordCount = 0;
        var maxTimestamp = -1L;
        var offsetOfMax = -1;
        PooledBufferWriter? ownScratch = null;
        try
        {
            while (!records.IsEmpty)
            {
                if (batches == 1 && options.RequireSingleBatch)
                {
                    return Fail(ErrorCode.InvalidRecord, "produce requests must carry exactly one record batch");
                }
                var error = ValidateBatch(records, options, ref scratch, ref ownScratch, out var size, out var count, out var batchMax, out var batchMaxDelta, out var message);
                if (error != ErrorCode.None)
                {
                    return Fail(error, message);
                }
                batches++;
                if (batchMax > maxTimestamp || offsetOfMax < 0)
                {
                    maxTimestamp = batchMax;
                    offsetOfMax = recordCount + batchMaxDelta;
                }
                recordCount += count;
                records = records.Slice(size);
            }
        }
        finally
        {
            ownScratch?.Dispose();
        }
        return new BatchValidationResult(ErrorCode.None, null, batches, recordCount, maxTimestamp, offsetOfMax);
    }

    private static BatchValidationResult Fail(ErrorCode error, string? message) => new(error, message, 0, 0, -1, -1);

    private static ErrorCode ValidateBatch(ReadOnlySpan<byte> buffer, BatchValidationOptions options,
        ref PooledBufferWriter? scratch, ref PooledBufferWriter? ownScratch,
        out int size, out int count, out long maxTimestamp, out int maxTimestampDelta, out string? message)
    {
        size = 0;
        count = 0;
        maxTimestamp = -1;
        maxTimestampDelta = -1;
        message = null;
        if (buffer.Length < RecordBatch.MagicOffset + 1)
        {
            message = $"{buffer.Length} bytes cannot hold a batch header";
            return ErrorCode.CorruptMessage;
        }
        var magic = (sbyte)buffer[RecordBatch.MagicOffset];
        if (magic != 2)
        {
            message = $"record batches must use magic 2, not {magic}";
            return ErrorCode.InvalidRecord;
        }
        if (!RecordBatch.TryRead(buffer, out var batch, out size))
        {
            message = "truncated record batch or invalid batch length";
            return ErrorCode.CorruptMessage;
        }
        if (size > options.MaxBatchSize)
        {
            message = $"batch of {size} bytes exceeds the {options.MaxBatchSize} byte limit";
            return ErrorCode.MessageTooLarge;
        }
        if (!batch.IsCrcValid)
        {
            message = $"batch CRC {batch.Crc:x8} does not match its contents ({batch.ComputeCrc():x8})";
            return ErrorCode.CorruptMessage;
        }
        var compression = batch.Compression;
        if (!CompressionCodecs.IsKnown(compression) || (compression == CompressionType.Zstd && !options.AllowZstd))
        {
            message = $"compression type {(int)compression} is not supported here";
            return ErrorCode.UnsupportedCompressionType;
        }
        if (batch.IsControl && !options.AllowControlBatches)
        {
            message = "clients may not write control batches";
            return ErrorCode.InvalidRecord;
        }
        if (options.RequireZeroBaseOffset && batch.BaseOffset != 0)
        {
            message = $"a produced batch must have base offset 0, not {batch.BaseOffset}";
            return ErrorCode.InvalidRecord;
        }
        count = batch.RecordCount;
        if (count <= 0 || batch.LastOffsetDelta != count - 1)
        {
            message = $"record count {count} is inconsistent with last offset delta {batch.LastOffsetDelta}";
            return ErrorCode.InvalidRecord;
        }
        maxTimestamp = batch.MaxTimestamp;
        maxTimestampDelta = batch.LastOffsetDelta;
        if (compression != CompressionType.None && !options.ValidateCompressedRecords)
        {
            return ErrorCode.None;
        }
        return ValidateRecords(batch, options, ref scratch, ref ownScratch, ref maxTimestamp, ref maxTimestampDelta, out message);
    }

    private static ErrorCode ValidateRecords(RecordBatch batch, BatchValidationOptions options,
        ref PooledBufferWriter? scratch, ref PooledBufferWriter? ownScratch,
        ref long maxTimestamp, ref int maxTimestampDelta, out string? message)
    {
        message = null;
        RecordEnumerator records;
        if (batch.Compression == CompressionType.None)
        {
            records = batch.GetRecords();
        }
        else
        {
            scratch ??= ownScratch = new PooledBufferWriter(batch.TotalSize * 4);
            try
            {
                records = batch.GetRecords(scratch, options.MaxDecompressedBytes);
            }
            catch (ProtocolException e)
            {
                message = e.Message;
                return ErrorCode.CorruptMessage;
            }
            catch (DllNotFoundException e)
            {
                message = e.Message;
                return ErrorCode.UnsupportedCompressionType;
            }
        }
        try
        {
            var expected = 0;
            var createTime = !batch.IsLogAppendTime;
            var baseTimestamp = batch.BaseTimestamp;
            var earliest = options.TimestampBeforeMaxMs == long.MaxValue ? long.MinValue : options.NowMs - options.TimestampBeforeMaxMs;
            var latest = options.TimestampAfterMaxMs == long.MaxValue ? long.MaxValue : options.NowMs + options.TimestampAfterMaxMs;
            var max = long.MinValue;
            var maxDelta = -1;
            foreach (var record in records)
            {
                if (record.OffsetDelta != expected)
                {
                    message = $"record {expected} has offset delta {record.OffsetDelta}";
                    return ErrorCode.InvalidRecord;
                }
                if (options.RequireKeys && record.KeyIsNull)
                {
                    message = "compacted topics require a key on every record";
                    return ErrorCode.InvalidRecord;
                }
                var timestamp = baseTimestamp + record.TimestampDelta;
                if (createTime && (timestamp < earliest || timestamp > latest))
                {
                    message = $"record {expected} has timestamp {timestamp}, outside [{earliest}, {latest}]";
                    return ErrorCode.InvalidTimestamp;
                }
                if (timestamp > max)
                {
                    max = timestamp;
                    maxDelta = record.OffsetDelta;
                }
                expected++;
            }
            if (createTime)
            {
                maxTimestamp = max;
                maxTimestampDelta = maxDelta;
            }
        }
        catch (ProtocolException e)
        {
            message = "invalid record structure: " + e.Message;
            return ErrorCode.InvalidRecord;
        }
        return ErrorCode.None;
    }
}
