using System.Diagnostics;
using System.Text;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records;
using Broker.Protocol.Records.Compression;

namespace Broker.Protocol.Tests.Records;

public class CompressionCodecTests
{
    public static TheoryData<CompressionType, int, bool> Cases()
    {
        var d = new TheoryData<CompressionType, int, bool>();
        foreach (var c in new[] { CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd })
        {
            foreach (var size in new[] { 1, 14, 100, 65_535, 65_537, 1_000_003 })
            {
                d.Add(c, size, true);
                d.Add(c, size, false);
            }
        }
        return d;
    }

    internal static byte[] Data(int size, bool repetitive, int seed = 1)
    {
        var data = new byte[size];
        var rng = new Random(seed + size);
        if (!repetitive)
        {
            rng.NextBytes(data);
            return data;
        }
        // Text-like: words from a small vocabulary, plus long runs.
        var words = new[] { "kafka ", "broker ", "partition ", "offset ", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "x" };
        var i = 0;
        while (i < size)
        {
            var w = Encoding.ASCII.GetBytes(words[rng.Next(words.Length)]);
            var n = Math.Min(w.Length, size - i);
            w.AsSpan(0, n).CopyTo(data.AsSpan(i));
            i += n;
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RoundTrip(CompressionType type, int size, bool repetitive)
    {
        var codec = CompressionCodecs.Get(type);
        var data = Data(size, repetitive);
        using var compressed = new PooledBufferWriter();
        codec.Compress(data, compressed);
        if (repetitive && size > 1000)
        {
            Assert.True(compressed.WrittenCount < size / 2, $"{type} compressed {size} repetitive bytes to {compressed.WrittenCount}");
        }
        using var output = new PooledBufferWriter(16);
        Assert.Equal(size, codec.Decompress(compressed.WrittenSpan, output, size));
        Assert.True(output.WrittenSpan.SequenceEqual(data));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void DecompressionStopsAtTheCap(CompressionType type)
    {
        var codec = CompressionCodecs.Get(type);
        var bomb = new byte[4 * 1024 * 1024]; // zeros compress ~1000:1
        using var compressed = new PooledBufferWriter();
        codec.Compress(bomb, compressed);
        using var output = new PooledBufferWriter();
        var ex = Assert.Throws<ProtocolException>(() => codec.Decompress(compressed.WrittenSpan, output, 1024 * 1024));
        Assert.Contains("limit", ex.Message);
        Assert.True(output.WrittenCount <= 1024 * 1024 + 1);
        output.Clear();
        Assert.Equal(bomb.Length, codec.Decompress(compressed.WrittenSpan, output, bomb.Length));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void CorruptOrTruncatedInputIsAProtocolException(CompressionType type)
    {
        var codec = CompressionCodecs.Get(type);
        var data = Data(50_000, repetitive: true);
        using var compressed = new PooledBufferWriter();
        codec.Compress(data, compressed);
        var good = compressed.WrittenSpan.ToArray();
        using var output = new PooledBufferWriter();
        // Truncations at a spread of points, including inside the header.
        foreach (var cut in new[] { 1, 5, 10, 17, good.Length / 3, good.Length / 2, good.Length - 1 })
        {
            output.Clear();
            Assert.Throws<ProtocolException>(() => codec.Decompress(good.AsSpan(0, cut), output, 1 << 20));
        }
        // Random byte flips: either an error or (rarely, for formats without a checksum) wrong bytes; never a crash.
        var rng = new Random(3);
        for (var trial = 0; trial < 300; trial++)
        {
            var bad = (byte[])good.Clone();
            bad[rng.Next(bad.Length)] ^= (byte)(1 + rng.Next(255));
            output.Clear();
            try
            {
                codec.Decompress(bad, output, 1 << 20);
            }
            catch (ProtocolException)
            {
            }
        }
        // Garbage.
        var garbage = new byte[1000];
        rng.NextBytes(garbage);
        output.Clear();
        Assert.Throws<ProtocolException>(() => codec.Decompress(garbage, output, 1 << 20));
    }

    [Fact]
    public void SnappyReadsRawAndXerialFraming()
    {
        var data = Data(200_000, repetitive: true);
        using var raw = new PooledBufferWriter();
        new SnappyCodec(xerialFraming: false).Compress(data, raw);
        Assert.False(SnappyCodec.IsXerialFramed(raw.WrittenSpan));
        using var xerial = new PooledBufferWriter();
        new SnappyCodec(xerialFraming: true).Compress(data, xerial);
        Assert.True(SnappyCodec.IsXerialFramed(xerial.WrittenSpan));
        // 200 KB in 32 KB xerial blocks: 7 blocks.
        foreach (var input in new[] { raw, xerial })
        {
            using var output = new PooledBufferWriter();
            CompressionCodecs.Snappy.Decompress(input.WrittenSpan, output, data.Length);
            Assert.True(output.WrittenSpan.SequenceEqual(data));
        }
    }

    [Fact]
    public void SnappyDecodesHandWrittenElements()
    {
        // "abcd" literal, then copy-1 of length 8 at offset 4 (overlapping) => "abcdabcdabcd",
        // then a 2-byte-offset copy of length 2 at offset 12 => "ab", inside xerial framing.
        byte[] block = [14, 3 << 2, (byte)'a', (byte)'b', (byte)'c', (byte)'d', 1 | (4 << 2), 4, 2 | (1 << 2), 12, 0];
        var framed = new List<byte>([0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1]);
        framed.AddRange([0, 0, 0, (byte)block.Length]);
        framed.AddRange(block);
        framed.AddRange([0, 0, 0, (byte)block.Length]);
        framed.AddRange(block);
        using var output = new PooledBufferWriter();
        Assert.Equal(28, CompressionCodecs.Snappy.Decompress(framed.ToArray(), output, 100));
        Assert.Equal("abcdabcdabcdababcdabcdabcdab", Encoding.ASCII.GetString(output.WrittenSpan));
        // Copy offset pointing before the start of output.
        output.Clear();
        Assert.Throws<ProtocolException>(() => CompressionCodecs.Snappy.Decompress([8, 1 | (4 << 2), 4], output, 100));
        // Declared length bigger than the cap fails before allocating.
        output.Clear();
        Assert.Throws<ProtocolException>(() => CompressionCodecs.Snappy.Decompress([0xFF, 0xFF, 0xFF, 0xFF, 0x07], output, 1 << 20));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void SnappyDecoderSurvivesMutatedBlocks()
    {
        // The decoder reads through refs with its own range checks: mutate every kind of element
        // and check that it either decodes within bounds or reports corruption.
        var data = Data(20_000, repetitive: true);
        var block = new byte[SnappyBlock.MaxCompressedLength(data.Length)];
        block = block.AsSpan(0, SnappyBlock.Compress(data, block)).ToArray();
        var rng = new Random(5);
        for (var trial = 0; trial < 5000; trial++)
        {
            var bad = (byte[])block.Clone();
            for (var k = rng.Next(1, 5); k > 0; k--)
            {
                bad[rng.Next(3, bad.Length)] = (byte)rng.Next(256); // after the 3-byte length preamble
            }
            var cut = rng.Next(4) == 0 ? rng.Next(3, bad.Length) : bad.Length;
            var output = new byte[data.Length];
            try
            {
                SnappyBlock.Decompress(bad.AsSpan(0, cut), output);
            }
            catch (ProtocolException)
            {
            }
        }
    }

    [Theory]
    [InlineData(CompressionType.Gzip, "gzip", "-c")]
    [InlineData(CompressionType.Lz4, "lz4", "-c")]
    [InlineData(CompressionType.Zstd, "zstd", "-c")]
    public void InteropWithTheCommandLineTools(CompressionType type, string tool, string compressArgs)
    {
        var codec = CompressionCodecs.Get(type);
        var data = Data(300_000, repetitive: true);
        var dir = Directory.CreateTempSubdirectory("codec-interop");
        try
        {
            // Theirs -> ours.
            var plain = Path.Combine(dir.FullName, "plain");
            File.WriteAllBytes(plain, data);
            var theirs = RunTool(tool, $"{compressArgs} \"{plain}\"");
            using var output = new PooledBufferWriter();
            codec.Decompress(theirs, output, data.Length);
            Assert.True(output.WrittenSpan.SequenceEqual(data));

            // Ours -> theirs.
            using var ours = new PooledBufferWriter();
            codec.Compress(data, ours);
            var packed = Path.Combine(dir.FullName, "ours");
            File.WriteAllBytes(packed, ours.WrittenSpan.ToArray());
            Assert.Equal(data, RunTool(tool, $"-d -c \"{packed}\""));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Lz4ReadsFramesWithChecksumsContentSizeAndLinkedBlocks()
    {
        // lz4 CLI: --content-size, block checksums (-BX), linked blocks (-BD), 64 KB blocks (-B4).
        var data = Data(500_000, repetitive: true);
        var dir = Directory.CreateTempSubdirectory("lz4-flags");
        try
        {
            var plain = Path.Combine(dir.FullName, "plain");
            File.WriteAllBytes(plain, data);
            foreach (var flags in new[] { "-B4 -BD", "-B4 -BX --content-size", "-B5 --no-frame-crc", "-9 -BD -BX" })
            {
                var theirs = RunTool("lz4", $"{flags} -c \"{plain}\"");
                using var output = new PooledBufferWriter();
                CompressionCodecs.Lz4.Decompress(theirs, output, data.Length);
                Assert.True(output.WrittenSpan.SequenceEqual(data), flags);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ConcatenatedFramesDecodeAsOneStream()
    {
        var a = Data(1000, true, 1);
        var b = Data(2000, false, 2);
        foreach (var type in new[] { CompressionType.Gzip, CompressionType.Lz4, CompressionType.Zstd })
        {
            var codec = CompressionCodecs.Get(type);
            using var both = new PooledBufferWriter();
            codec.Compress(a, both);
            codec.Compress(b, both);
            using var output = new PooledBufferWriter();
            Assert.Equal(3000, codec.Decompress(both.WrittenSpan, output, 3000));
            Assert.True(output.WrittenSpan.SequenceEqual(a.Concat(b).ToArray()), type.ToString());
        }
    }

    private static byte[] RunTool(string tool, string args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {tool}");
        using var ms = new MemoryStream();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.BaseStream.CopyTo(ms);
        Assert.True(p.WaitForExit(60_000), $"{tool} did not finish");
        Assert.True(p.ExitCode == 0, $"{tool} {args} failed: {stderr.Result}");
        return ms.ToArray();
    }
}

public class NativeLibraryTests
{
    [Fact]
    public void MissingNativeLibraryNamesTheLibraryAndPackage()
    {
        var ex = Assert.Throws<DllNotFoundException>(() => NativeLibraries.Load("libdoesnotexist.so.9", "lz4", "liblz4-1"));
        Assert.Contains("libdoesnotexist.so.9", ex.Message);
        Assert.Contains("liblz4-1", ex.Message);
    }
}
