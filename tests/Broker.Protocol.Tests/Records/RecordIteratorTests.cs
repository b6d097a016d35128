using System.Text;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records;

namespace Broker.Protocol.Tests.Records;

public class RecordIteratorTests
{
    private static readonly CompressionType[] s_all =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    public static TheoryData<CompressionType> Codecs()
    {
        var d = new TheoryData<CompressionType>();
        foreach (var c in s_all)
        {
            d.Add(c);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void BuilderBatchReadsBackEveryField(CompressionType compression)
    {
        using var builder = new RecordBatchBuilder(compression)
        {
            BaseOffset = 1000, ProducerId = 77, ProducerEpoch = 3, BaseSequence = 12, PartitionLeaderEpoch = 5,
        };
        const long t0 = 1_700_000_000_000;
        builder.Append(t0, Encoding.UTF8.GetBytes("k0"), Encoding.UTF8.GetBytes("v0"),
            new RecordHeaderData("trace", Encoding.UTF8.GetBytes("abc")), new RecordHeaderData("nullhdr", null));
        builder.Append(t0 + 5, null, Encoding.UTF8.GetBytes("no key"));
        builder.Append(t0 - 3, Encoding.UTF8.GetBytes("tombstone"), null);
        builder.Append(t0 + 1, [], []);
        var bytes = builder.ToArray();

        Assert.True(RecordBatch.TryRead(bytes, out var batch, out var size));
        Assert.Equal(bytes.Length, size);
        Assert.True(batch.IsCrcValid);
        Assert.Equal(compression, batch.Compression);
        Assert.Equal(1000, batch.BaseOffset);
        Assert.Equal(5, batch.PartitionLeaderEpoch);
        Assert.Equal(77, batch.ProducerId);
        Assert.Equal(3, batch.ProducerEpoch);
        Assert.Equal(12, batch.BaseSequence);
        Assert.Equal(4, batch.RecordCount);
        Assert.Equal(3, batch.LastOffsetDelta);
        Assert.Equal(t0, batch.BaseTimestamp);
        Assert.Equal(t0 + 5, batch.MaxTimestamp);
        Assert.Equal(15, batch.LastSequence);

        using var scratch = new PooledBufferWriter();
        var i = 0;
        foreach (var r in batch.GetRecords(scratch))
        {
            Assert.Equal(i, r.OffsetDelta);
            switch (i)
            {
                case 0:
                    Assert.Equal(0, r.TimestampDelta);
                    Assert.Equal("k0", Encoding.UTF8.GetString(r.Key));
                    Assert.Equal("v0", Encoding.UTF8.GetString(r.Value));
                    Assert.Equal(2, r.HeaderCount);
                    var h = 0;
                    foreach (var header in r.Headers)
                    {
                        Assert.Equal(h == 0 ? "trace" : "nullhdr", Encoding.UTF8.GetString(header.Key));
                        Assert.Equal(h == 1, header.ValueIsNull);
                        if (h == 0)
                        {
                            Assert.Equal("abc", Encoding.UTF8.GetString(header.Value));
                        }
                        h++;
                    }
                    Assert.Equal(2, h);
                    break;
                case 1:
                    Assert.Equal(5, r.TimestampDelta);
                    Assert.True(r.KeyIsNull);
                    Assert.Equal("no key", Encoding.UTF8.GetString(r.Value));
                    Assert.Equal(0, r.HeaderCount);
                    break;
                case 2:
                    Assert.Equal(-3, r.TimestampDelta);
                    Assert.False(r.KeyIsNull);
                    Assert.True(r.ValueIsNull);
                    break;
                case 3:
                    Assert.False(r.KeyIsNull);
                    Assert.False(r.ValueIsNull);
                    Assert.True(r.Key.IsEmpty && r.Value.IsEmpty);
                    break;
            }
            i++;
        }
        Assert.Equal(4, i);
    }

    [Fact]
    public void UncompressedRecordsAreSlicesOfTheBatch()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1, "key"u8.ToArray(), "value"u8.ToArray());
        var bytes = builder.ToArray();
        var batch = new RecordBatch(bytes);
        var e = batch.GetRecords();
        Assert.True(e.MoveNext());
        var r = e.Current;
        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(r.Value), ref bytes[bytes.Length - 6]));
        Assert.Equal(r.SizeInBytes, batch.RecordsBytes.Length);
        Assert.False(e.MoveNext());
    }

    [Fact]
    public void CompressedBatchNeedsScratchBuffer()
    {
        using var builder = new RecordBatchBuilder(CompressionType.Gzip);
        builder.Append(1, "key"u8.ToArray(), "value"u8.ToArray());
        var bytes = builder.ToArray();
        Assert.Throws<InvalidOperationException>(() => new RecordBatch(bytes).GetRecords());
    }

    [Fact]
    public void ManyLargeRecordsWithMultiByteVarints()
    {
        var rng = new Random(7);
        using var builder = new RecordBatchBuilder(CompressionType.Lz4);
        var values = new byte[300][];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = new byte[rng.Next(0, 20_000)];
            rng.NextBytes(values[i]);
            builder.Append(1_000_000L * i, BitConverter.GetBytes(i), values[i]);
        }
        var batch = new RecordBatch(builder.ToArray());
        using var scratch = new PooledBufferWriter();
        var n = 0;
        foreach (var r in batch.GetRecords(scratch))
        {
            Assert.Equal(1_000_000L * n, r.TimestampDelta);
            Assert.Equal(n, BitConverter.ToInt32(r.Key));
            Assert.True(r.Value.SequenceEqual(values[n]));
            n++;
        }
        Assert.Equal(values.Length, n);
    }

    [Fact]
    public void EndTransactionMarkerIsAControlRecord()
    {
        using var builder = new RecordBatchBuilder { ProducerId = 9, ProducerEpoch = 1 };
        builder.AppendEndTransactionMarker(123, commit: true, coordinatorEpoch: 4);
        var batch = new RecordBatch(builder.ToArray());
        Assert.True(batch.IsControl);
        Assert.True(batch.IsTransactional);
        var e = batch.GetRecords();
        Assert.True(e.MoveNext());
        Assert.Equal(new byte[] { 0, 0, 0, 1 }, e.Current.Key.ToArray());
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 4 }, e.Current.Value.ToArray());
    }

    [Fact]
    public void OffsetGapsAndReset()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(5, "a"u8, false, "1"u8, false, default, offsetDelta: 2);
        builder.Append(6, "b"u8, false, "2"u8, false, default, offsetDelta: 7);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Append(6, "c"u8, false, "3"u8, false, default, offsetDelta: 7));
        var batch = new RecordBatch(builder.ToArray());
        Assert.Equal(7, batch.LastOffsetDelta);
        Assert.Equal(2, batch.RecordCount);
        builder.Reset();
        Assert.Equal(0, builder.Count);
        Assert.Throws<InvalidOperationException>(() => builder.ToArray());
        builder.Append(9, "x"u8.ToArray(), "y"u8.ToArray());
        var again = new RecordBatch(builder.ToArray());
        Assert.Equal(0, again.LastOffsetDelta);
        Assert.Equal(9, again.BaseTimestamp);
    }

    [Fact]
    public void RecordsCopyIntoANewBatchWithTheirHeaders()
    {
        // What a log cleaner does: keep some records of a compressed batch, rebuild uncompressed.
        using var source = new RecordBatchBuilder(CompressionType.Snappy) { BaseOffset = 100 };
        for (var i = 0; i < 5; i++)
        {
            source.Append(1000 + i, Encoding.UTF8.GetBytes("k" + i), i == 3 ? null : Encoding.UTF8.GetBytes("v" + i),
                new RecordHeaderData("h", [(byte)i]), new RecordHeaderData("n", null));
        }
        var sourceBytes = source.ToArray();
        var batch = new RecordBatch(sourceBytes);
        using var scratch = new PooledBufferWriter();
        using var kept = new RecordBatchBuilder { BaseOffset = batch.BaseOffset };
        foreach (var r in batch.GetRecords(scratch))
        {
            if (r.OffsetDelta % 2 == 1)
            {
                kept.Append(r, batch.TimestampOf(r), r.OffsetDelta);
            }
        }
        var copy = new RecordBatch(kept.ToArray());
        Assert.True(copy.IsCrcValid);
        Assert.Equal(2, copy.RecordCount);
        Assert.Equal(3, copy.LastOffsetDelta);
        Assert.Equal(1001, copy.BaseTimestamp);
        var seen = new List<string>();
        foreach (var r in copy.GetRecords())
        {
            var headers = new List<string>();
            foreach (var h in r.Headers)
            {
                headers.Add(Encoding.UTF8.GetString(h.Key) + "=" + (h.ValueIsNull ? "null" : h.Value[0].ToString()));
            }
            seen.Add($"{copy.OffsetOf(r)}:{Encoding.UTF8.GetString(r.Key)}:{(r.ValueIsNull ? "null" : Encoding.UTF8.GetString(r.Value))}@{copy.TimestampOf(r)}[{string.Join(",", headers)}]");
        }
        Assert.Equal(["101:k1:v1@1001[h=1,n=null]", "103:k3:null@1003[h=3,n=null]"], seen);
    }

    [Fact]
    public void LogAppendTimeSetsAttributeAndMaxTimestamp()
    {
        using var builder = new RecordBatchBuilder { LogAppendTime = 999 };
        builder.Append(5, "a"u8.ToArray(), "b"u8.ToArray());
        var batch = new RecordBatch(builder.ToArray());
        Assert.True(batch.IsLogAppendTime);
        Assert.Equal(999, batch.MaxTimestamp);
        Assert.True(batch.IsCrcValid);
    }

    [Fact]
    public void EveryTruncationOfTheRecordsIsAProtocolException()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1, "key"u8.ToArray(), "value"u8.ToArray(), new RecordHeaderData("h", [1, 2, 3]));
        builder.Append(2, "key2"u8.ToArray(), "value2"u8.ToArray());
        var records = new RecordBatch(builder.ToArray()).RecordsBytes.ToArray();
        for (var cut = 0; cut < records.Length; cut++)
        {
            var ex = Assert.Throws<ProtocolException>(() => Drain(records.AsSpan(0, cut), 2));
            Assert.NotNull(ex.Message);
        }
        Assert.Equal(2, Drain(records, 2));
        // One record too many or too few declared.
        Assert.Throws<ProtocolException>(() => Drain(records, 3));
        Assert.Throws<ProtocolException>(() => Drain(records, 1));
    }

    [Fact]
    public void RandomCorruptionNeverEscapesAsAnythingButProtocolException()
    {
        using var builder = new RecordBatchBuilder();
        for (var i = 0; i < 20; i++)
        {
            builder.Append(i, Encoding.UTF8.GetBytes("key" + i), Encoding.UTF8.GetBytes("value" + i),
                new RecordHeaderData("h" + i, [(byte)i]));
        }
        var clean = new RecordBatch(builder.ToArray()).RecordsBytes.ToArray();
        var rng = new Random(42);
        for (var trial = 0; trial < 2000; trial++)
        {
            var bytes = (byte[])clean.Clone();
            for (var k = rng.Next(1, 4); k > 0; k--)
            {
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            }
            try
            {
                Drain(bytes, 20);
            }
            catch (ProtocolException)
            {
            }
        }
    }

    [Fact]
    public void OverlongVarintsAreRejected()
    {
        // length varint of six continuation bytes.
        var bad = new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
        Assert.Throws<ProtocolException>(() => Drain(bad, 1));
        // Negative record length (-1).
        Assert.Throws<ProtocolException>(() => Drain([0x01], 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(-65)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void VarintRoundTrip(int v)
    {
        Span<byte> buf = stackalloc byte[10];
        var n = Varint.WriteVarInt(buf, v);
        Assert.Equal(n, Varint.SizeOfVarInt(v));
        ReadOnlySpan<byte> r = buf.Slice(0, n);
        Assert.Equal(v, Varint.ReadVarInt(ref r));
        Assert.True(r.IsEmpty);
        long l = v * 3_000_000_000L;
        n = Varint.WriteVarLong(buf, l);
        Assert.Equal(n, Varint.SizeOfVarLong(l));
        r = buf.Slice(0, n);
        Assert.Equal(l, Varint.ReadVarLong(ref r));
    }

    private static int Drain(ReadOnlySpan<byte> records, int count)
    {
        var n = 0;
        foreach (var r in new RecordEnumerator(records, count))
        {
            foreach (var h in r.Headers)
            {
                _ = h.Key.Length + h.Value.Length;
            }
            n++;
        }
        return n;
    }
}
