using System.Buffers.Binary;
using System.Text;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records;
using Broker.Protocol.Records.Compression;

namespace Broker.Protocol.Tests.Records;

public class LegacyMessageSetTests
{
    /// <summary>Writes one legacy message by hand, field by field.</summary>
    private static byte[] Message(byte magic, long offset, string? key, byte[]? value, long timestamp = 0, byte attributes = 0)
    {
        var k = key is null ? null : Encoding.UTF8.GetBytes(key);
        var size = 4 + 1 + 1 + (magic == 1 ? 8 : 0) + 4 + (k?.Length ?? 0) + 4 + (value?.Length ?? 0);
        var m = new byte[12 + size];
        var s = m.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(s, offset);
        BinaryPrimitives.WriteInt32BigEndian(s.Slice(8), size);
        m[16] = magic;
        m[17] = attributes;
        var o = 18;
        if (magic == 1)
        {
            BinaryPrimitives.WriteInt64BigEndian(s.Slice(o), timestamp);
            o += 8;
        }
        BinaryPrimitives.WriteInt32BigEndian(s.Slice(o), k?.Length ?? -1);
        o += 4;
        k?.CopyTo(s.Slice(o));
        o += k?.Length ?? 0;
        BinaryPrimitives.WriteInt32BigEndian(s.Slice(o), value?.Length ?? -1);
        o += 4;
        value?.CopyTo(s.Slice(o));
        BinaryPrimitives.WriteUInt32BigEndian(s.Slice(12), Crc32.Compute(s.Slice(16)));
        return m;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] V(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void ReadsV0AndV1Messages()
    {
        var set = Concat(Message(0, 5, "k0", V("v0")), Message(1, 6, null, V("v1"), timestamp: 1234), Message(1, 7, "k2", null, timestamp: 99, attributes: 0x08));
        Assert.True(LegacyMessageSet.IsLegacy(set));
        var i = 0;
        foreach (var m in new LegacyMessageEnumerator(set))
        {
            Assert.True(m.IsCrcValid);
            Assert.Equal(5 + i, m.Offset);
            switch (i)
            {
                case 0:
                    Assert.Equal(0, m.Magic);
                    Assert.Equal(-1, m.Timestamp);
                    Assert.Equal("k0", Encoding.UTF8.GetString(m.Key));
                    Assert.Equal("v0", Encoding.UTF8.GetString(m.Value));
                    break;
                case 1:
                    Assert.Equal(1, m.Magic);
                    Assert.Equal(1234, m.Timestamp);
                    Assert.True(m.KeyIsNull);
                    Assert.False(m.IsLogAppendTime);
                    break;
                case 2:
                    Assert.True(m.ValueIsNull);
                    Assert.True(m.IsLogAppendTime);
                    break;
            }
            i++;
        }
        Assert.Equal(3, i);
    }

    [Fact]
    public void KnownCrcOfAHandWrittenV0Message()
    {
        // offset 0, size 14+2, magic 0, attributes 0, key null, value "hi".
        var m = Message(0, 0, null, V("hi"));
        Assert.Equal(Crc32.Compute([0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, (byte)'h', (byte)'i']),
            BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(12)));
    }

    [Fact]
    public void ConvertsUncompressedSetToAV2Batch()
    {
        var set = Concat(Message(1, 0, "a", V("1"), timestamp: 1000), Message(1, 1, "b", V("2"), timestamp: 900), Message(1, 2, null, null, timestamp: 1100));
        using var output = new PooledBufferWriter();
        Assert.Equal(3, LegacyMessageSet.ConvertToV2(set, output));
        var batch = new RecordBatch(output.WrittenSpan);
        Assert.True(RecordBatchValidator.Validate(output.WrittenSpan).IsValid);
        Assert.Equal(CompressionType.None, batch.Compression);
        Assert.Equal(1000, batch.BaseTimestamp);
        Assert.Equal(1100, batch.MaxTimestamp);
        var seen = new List<string>();
        foreach (var r in batch.GetRecords())
        {
            seen.Add($"{r.OffsetDelta}:{(r.KeyIsNull ? "null" : Encoding.UTF8.GetString(r.Key))}={(r.ValueIsNull ? "null" : Encoding.UTF8.GetString(r.Value))}@{batch.BaseTimestamp + r.TimestampDelta}");
        }
        Assert.Equal(["0:a=1@1000", "1:b=2@900", "2:null=null@1100"], seen);
    }

    [Fact]
    public void V0ConversionHasNoTimestamps()
    {
        var set = Concat(Message(0, 0, "a", V("1")), Message(0, 1, "b", V("2")));
        using var output = new PooledBufferWriter();
        LegacyMessageSet.ConvertToV2(set, output);
        var batch = new RecordBatch(output.WrittenSpan);
        Assert.Equal(-1, batch.BaseTimestamp);
        Assert.Equal(-1, batch.MaxTimestamp);
        Assert.Equal(2, batch.RecordCount);
    }

    [Theory]
    [InlineData(CompressionType.Gzip, 1)]
    [InlineData(CompressionType.Snappy, 1)]
    [InlineData(CompressionType.Lz4, 1)]
    [InlineData(CompressionType.Gzip, 0)]
    [InlineData(CompressionType.Snappy, 0)]
    public void ConvertsCompressedWrapper(CompressionType compression, byte magic)
    {
        // Inner offsets: relative (0..n-1) for magic 1, absolute for magic 0.
        var inner = Concat(
            Message(magic, magic == 1 ? 0 : 40, "k0", V("value zero"), timestamp: 10),
            Message(magic, magic == 1 ? 1 : 41, "k1", V("value one"), timestamp: 20),
            Message(magic, magic == 1 ? 2 : 42, "k2", V("value two"), timestamp: 30));
        using var packed = new PooledBufferWriter();
        CompressionCodecs.Get(compression).Compress(inner, packed);
        var wrapper = Message(magic, 42, null, packed.WrittenSpan.ToArray(), timestamp: 30, attributes: (byte)compression);

        using var output = new PooledBufferWriter();
        Assert.Equal(3, LegacyMessageSet.ConvertToV2(wrapper, output));
        var batch = new RecordBatch(output.WrittenSpan);
        Assert.True(batch.IsCrcValid);
        Assert.Equal(compression, batch.Compression);
        Assert.Equal(40, batch.BaseOffset);
        Assert.Equal(42, batch.LastOffset);
        using var scratch = new PooledBufferWriter();
        var i = 0;
        foreach (var r in batch.GetRecords(scratch))
        {
            Assert.Equal($"k{i}", Encoding.UTF8.GetString(r.Key));
            Assert.Equal(magic == 1 ? 10 + 10 * i : -1, batch.BaseTimestamp + r.TimestampDelta);
            i++;
        }
        Assert.Equal(3, i);

        // And converted uncompressed on request.
        output.Clear();
        LegacyMessageSet.ConvertToV2(wrapper, output, CompressionType.None);
        Assert.Equal(CompressionType.None, new RecordBatch(output.WrittenSpan).Compression);
    }

    [Fact]
    public void LogAppendTimeWrapperStampsInnerMessages()
    {
        var inner = Concat(Message(1, 0, "a", V("1"), timestamp: 1), Message(1, 1, "b", V("2"), timestamp: 2));
        using var packed = new PooledBufferWriter();
        CompressionCodecs.Gzip.Compress(inner, packed);
        var wrapper = Message(1, 1, null, packed.WrittenSpan.ToArray(), timestamp: 777, attributes: (byte)(0x08 | (byte)CompressionType.Gzip));
        using var output = new PooledBufferWriter();
        LegacyMessageSet.ConvertToV2(wrapper, output);
        var batch = new RecordBatch(output.WrittenSpan);
        Assert.Equal(777, batch.BaseTimestamp);
        Assert.Equal(777, batch.MaxTimestamp);
    }

    [Fact]
    public void CorruptionIsAProtocolException()
    {
        var good = Concat(Message(1, 0, "a", V("1"), timestamp: 1), Message(1, 1, "b", V("2"), timestamp: 2));
        using var output = new PooledBufferWriter();
        // Bad CRC.
        var bad = (byte[])good.Clone();
        bad[^1] ^= 1;
        Assert.Throws<ProtocolException>(() => LegacyMessageSet.ConvertToV2(bad, output));
        // Every truncation.
        for (var cut = 1; cut < good.Length; cut++)
        {
            if (cut == good.Length / 2)
            {
                continue; // a whole first message: valid
            }
            Assert.Throws<ProtocolException>(() => LegacyMessageSet.ConvertToV2(good.AsSpan(0, cut), output));
        }
        // A truncated tail is fine for fetch-style reading.
        var n = 0;
        foreach (var m in new LegacyMessageEnumerator(good.AsSpan(0, good.Length - 3), allowPartialTail: true))
        {
            n++;
        }
        Assert.Equal(1, n);
        // Key length beyond the message.
        bad = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32BigEndian(bad.AsSpan(26), 1000);
        Assert.Throws<ProtocolException>(() => LegacyMessageSet.ConvertToV2(bad, output));
        // Nested compression and empty sets.
        Assert.Throws<ProtocolException>(() => LegacyMessageSet.ConvertToV2([], output));
        var innerWrapper = Message(1, 0, null, [1, 2, 3], attributes: (byte)CompressionType.Gzip);
        using var packed = new PooledBufferWriter();
        CompressionCodecs.Gzip.Compress(innerWrapper, packed);
        var nested = Message(1, 0, null, packed.WrittenSpan.ToArray(), attributes: (byte)CompressionType.Gzip);
        Assert.Throws<ProtocolException>(() => LegacyMessageSet.ConvertToV2(nested, output));
    }

    [Fact]
    public void ReadsTheLegacyMessageSetKafkaPythonSends()
    {
        // kafka-python's v1 message layout with a Python-computed CRC (zlib.crc32), bytes inline.
        var bytes = Convert.FromHexString(PythonV1Message);
        var e = new LegacyMessageEnumerator(bytes);
        Assert.True(e.MoveNext());
        Assert.True(e.Current.IsCrcValid);
        Assert.Equal("key", Encoding.UTF8.GetString(e.Current.Key));
        Assert.Equal("value", Encoding.UTF8.GetString(e.Current.Value));
        Assert.Equal(1_600_000_000_000, e.Current.Timestamp);
    }

    // body = struct.pack('>bbqi3si5s', 1, 0, 1600000000000, 3, b'key', 5, b'value');
    // message = struct.pack('>qiI', 0, 4 + len(body), zlib.crc32(body)) + body
    private const string PythonV1Message = "00000000000000000000001EFA8F80F5010000000174876E8000000000036B65790000000576616C7565";
}
