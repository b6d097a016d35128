using System.Buffers.Binary;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Protocol.Tests.Records;

public class RecordBatchValidatorTests
{
    private static byte[] Batch(CompressionType compression = CompressionType.None, int records = 3, Action<RecordBatchBuilder>? configure = null)
    {
        using var b = new RecordBatchBuilder(compression);
        configure?.Invoke(b);
        for (var i = 0; i < records; i++)
        {
            b.Append(100 + i, BitConverter.GetBytes(i), new byte[50]);
        }
        return b.ToArray();
    }

    private static void Recrc(byte[] batch)
    {
        if (RecordBatch.TryRead(batch, out var view, out _))
        {
            BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatch.CrcOffset), view.ComputeCrc());
        }
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void ValidBatchPasses(CompressionType compression)
    {
        var r = RecordBatchValidator.Validate(Batch(compression));
        Assert.True(r.IsValid, r.Message);
        Assert.Equal(1, r.BatchCount);
        Assert.Equal(3, r.RecordCount);
        Assert.Equal(102, r.MaxTimestamp);
    }

    [Fact]
    public void EmptyRecordsAreInvalid() =>
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate([]).Error);

    [Fact]
    public void BadCrcIsCorruptMessage()
    {
        var b = Batch();
        b[^1] ^= 0xFF;
        var r = RecordBatchValidator.Validate(b);
        Assert.Equal(ErrorCode.CorruptMessage, r.Error);
        Assert.Contains("CRC", r.Message);
    }

    [Fact]
    public void TruncatedBatchIsCorruptMessage()
    {
        var b = Batch();
        for (var cut = 1; cut < b.Length; cut += 7)
        {
            var error = RecordBatchValidator.Validate(b.AsSpan(0, cut)).Error;
            Assert.True(error == ErrorCode.CorruptMessage, $"cut {cut}: {error}");
        }
    }

    [Fact]
    public void WrongMagicIsInvalidRecord()
    {
        var b = Batch();
        b[RecordBatch.MagicOffset] = 1;
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(b).Error);
    }

    [Fact]
    public void OversizedBatchIsMessageTooLarge()
    {
        var b = Batch(records: 100);
        var r = RecordBatchValidator.Validate(b, new BatchValidationOptions { MaxBatchSize = 1000 });
        Assert.Equal(ErrorCode.MessageTooLarge, r.Error);
    }

    [Fact]
    public void InconsistentCountsAreInvalidRecord()
    {
        var b = Batch();
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatch.LastOffsetDeltaOffset), 5);
        Recrc(b);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(b).Error);

        // Header says 4 records (and last delta 3) but holds 3.
        b = Batch();
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatch.LastOffsetDeltaOffset), 3);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatch.RecordCountOffset), 4);
        Recrc(b);
        var r = RecordBatchValidator.Validate(b);
        Assert.Equal(ErrorCode.InvalidRecord, r.Error);
        Assert.Contains("record", r.Message);

        // Same lie inside a compressed batch is found after decompression.
        b = Batch(CompressionType.Zstd);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatch.LastOffsetDeltaOffset), 1);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatch.RecordCountOffset), 2);
        Recrc(b);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(b).Error);
    }

    [Fact]
    public void OffsetGapsAreInvalidForProduce()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1, "a"u8, false, "1"u8, false, default, offsetDelta: 0);
        builder.Append(1, "a"u8, false, "1"u8, false, default, offsetDelta: 2);
        var b = builder.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatch.LastOffsetDeltaOffset), 1);
        Recrc(b);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(b).Error);
    }

    [Fact]
    public void CorruptCompressedPayloadIsCorruptMessage()
    {
        var b = Batch(CompressionType.Lz4, records: 20);
        b[RecordBatch.HeaderSize + 10] ^= 0x5A;
        b[RecordBatch.HeaderSize + 11] ^= 0x5A;
        Recrc(b);
        var r = RecordBatchValidator.Validate(b);
        Assert.Equal(ErrorCode.CorruptMessage, r.Error);
    }

    [Fact]
    public void DecompressionBombIsStoppedByTheCap()
    {
        using var builder = new RecordBatchBuilder(CompressionType.Zstd);
        builder.Append(1, "k"u8.ToArray(), new byte[2_000_000]);
        var b = builder.ToArray();
        Assert.True(b.Length < 10_000);
        var r = RecordBatchValidator.Validate(b, new BatchValidationOptions { MaxDecompressedBytes = 1_000_000 });
        Assert.Equal(ErrorCode.CorruptMessage, r.Error);
        Assert.True(RecordBatchValidator.Validate(b).IsValid);
    }

    [Fact]
    public void ProduceRules()
    {
        Assert.Equal(ErrorCode.InvalidRecord,
            RecordBatchValidator.Validate(Batch(configure: b => b.BaseOffset = 5)).Error);
        Assert.True(RecordBatchValidator.Validate(Batch(configure: b => b.BaseOffset = 5),
            new BatchValidationOptions { RequireZeroBaseOffset = false }).IsValid);

        using var control = new RecordBatchBuilder();
        control.AppendEndTransactionMarker(1, commit: false, coordinatorEpoch: 0);
        var marker = control.ToArray();
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(marker).Error);
        Assert.True(RecordBatchValidator.Validate(marker, new BatchValidationOptions { AllowControlBatches = true }).IsValid);

        var two = Batch().Concat(Batch()).ToArray();
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(two).Error);
        var both = RecordBatchValidator.Validate(two, new BatchValidationOptions { RequireSingleBatch = false });
        Assert.True(both.IsValid);
        Assert.Equal(2, both.BatchCount);
        Assert.Equal(6, both.RecordCount);

        Assert.Equal(ErrorCode.UnsupportedCompressionType,
            RecordBatchValidator.Validate(Batch(CompressionType.Zstd), new BatchValidationOptions { AllowZstd = false }).Error);
        var unknown = Batch();
        unknown[RecordBatch.AttributesOffset + 1] |= 0x06;
        Recrc(unknown);
        Assert.Equal(ErrorCode.UnsupportedCompressionType, RecordBatchValidator.Validate(unknown).Error);

        using var nullKey = new RecordBatchBuilder();
        nullKey.Append(1, null, [1]);
        Assert.Equal(ErrorCode.InvalidRecord,
            RecordBatchValidator.Validate(nullKey.ToArray(), new BatchValidationOptions { RequireKeys = true }).Error);
    }

    [Fact]
    public void FuzzedBatchesNeverThrow()
    {
        var clean = Batch(CompressionType.Snappy, records: 10);
        var rng = new Random(11);
        for (var trial = 0; trial < 3000; trial++)
        {
            var b = (byte[])clean.Clone();
            for (var k = rng.Next(1, 4); k > 0; k--)
            {
                b[rng.Next(b.Length)] = (byte)rng.Next(256);
            }
            if (trial % 2 == 0)
            {
                Recrc(b);
            }
            var r = RecordBatchValidator.Validate(b, new BatchValidationOptions { RequireZeroBaseOffset = false });
            Assert.True(r.IsValid || r.Message is not null);
        }
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    public void MaxTimestampAndItsOffsetComeFromTheRecords(CompressionType compression)
    {
        using var b = new RecordBatchBuilder(compression);
        b.Append(500, [1], [1]);
        b.Append(900, [2], [2]);
        b.Append(700, [3], [3]);
        b.Append(900, [4], [4]);
        var bytes = b.ToArray();
        // A header that lies about its max timestamp does not fool the result.
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(RecordBatch.MaxTimestampOffset), 1);
        Recrc(bytes);
        var r = RecordBatchValidator.Validate(bytes);
        Assert.True(r.IsValid, r.Message);
        Assert.Equal(900, r.MaxTimestamp);
        Assert.Equal(1, r.OffsetDeltaOfMaxTimestamp);

        var view = new RecordBatch(bytes);
        using var scratch = new PooledBufferWriter();
        var e = view.GetRecords(scratch);
        Assert.True(e.MoveNext());
        Assert.Equal(500, view.TimestampOf(e.Current));
        Assert.Equal(0, view.OffsetOf(e.Current));
    }

    [Fact]
    public void TimestampsOutsideTheConfiguredWindowAreInvalid()
    {
        using var b = new RecordBatchBuilder();
        b.Append(10_000, [1], [1]);
        b.Append(20_000, [2], [2]);
        var bytes = b.ToArray();
        var window = new BatchValidationOptions { NowMs = 15_000, TimestampBeforeMaxMs = 5_000, TimestampAfterMaxMs = 5_000 };
        Assert.True(RecordBatchValidator.Validate(bytes, window).IsValid);
        Assert.Equal(ErrorCode.InvalidTimestamp,
            RecordBatchValidator.Validate(bytes, new BatchValidationOptions { NowMs = 15_000, TimestampBeforeMaxMs = 4_999 }).Error);
        Assert.Equal(ErrorCode.InvalidTimestamp,
            RecordBatchValidator.Validate(bytes, new BatchValidationOptions { NowMs = 15_000, TimestampAfterMaxMs = 4_999 }).Error);
        // LogAppendTime batches are stamped by the broker: their record timestamps are not checked.
        RecordBatch.SetLogAppendTime(bytes, 15_000);
        var r = RecordBatchValidator.Validate(bytes, new BatchValidationOptions { NowMs = 15_000, TimestampBeforeMaxMs = 1 });
        Assert.True(r.IsValid, r.Message);
        Assert.Equal(15_000, r.MaxTimestamp);
    }
}
