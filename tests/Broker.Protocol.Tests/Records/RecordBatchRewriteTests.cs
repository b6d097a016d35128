using Broker.Protocol.Records;

namespace Broker.Protocol.Tests.Records;

public class RecordBatchRewriteTests
{
    private static byte[] Batch(CompressionType compression)
    {
        using var b = new RecordBatchBuilder(compression);
        b.Append(10, "a"u8.ToArray(), "1"u8.ToArray());
        b.Append(20, "b"u8.ToArray(), "2"u8.ToArray());
        return b.ToArray();
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Zstd)]
    public void OffsetAndEpochRewritesLeaveTheCrcValid(CompressionType compression)
    {
        var b = Batch(compression);
        var crc = new RecordBatch(b).Crc;
        RecordBatch.SetBaseOffset(b, 123_456_789_012);
        RecordBatch.SetPartitionLeaderEpoch(b, 42);
        var view = new RecordBatch(b);
        Assert.Equal(123_456_789_012, view.BaseOffset);
        Assert.Equal(123_456_789_013, view.LastOffset);
        Assert.Equal(42, view.PartitionLeaderEpoch);
        Assert.Equal(crc, view.Crc);
        Assert.True(view.IsCrcValid);
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    public void LogAppendTimeRecomputesTheCrc(CompressionType compression)
    {
        var b = Batch(compression);
        var crc = new RecordBatch(b).Crc;
        RecordBatch.SetLogAppendTime(b, 1_800_000_000_000);
        var view = new RecordBatch(b);
        Assert.True(view.IsLogAppendTime);
        Assert.Equal(1_800_000_000_000, view.MaxTimestamp);
        Assert.Equal(compression, view.Compression);
        Assert.NotEqual(crc, view.Crc);
        Assert.True(view.IsCrcValid);
        Assert.True(RecordBatchValidator.Validate(b).IsValid);
    }

    [Fact]
    public void CrcCoversAttributesThroughTheEnd()
    {
        var b = Batch(CompressionType.None);
        b[RecordBatch.AttributesOffset + 1] ^= 0x10;
        Assert.False(new RecordBatch(b).IsCrcValid);
        b = Batch(CompressionType.None);
        b[RecordBatch.MagicOffset - 1] ^= 1; // partition leader epoch: not covered
        Assert.True(new RecordBatch(b).IsCrcValid);
    }
}
