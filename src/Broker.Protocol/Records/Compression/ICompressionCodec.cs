using System.Buffers;

namespace Broker.Protocol.Records.Compression;

/// <summary>
/// One of Kafka's record compression codecs. Compress appends a complete compressed stream for
/// <c>source</c> to the writer; Decompress appends the decompressed bytes and returns their count.
/// Decompression never writes more than <c>maxOutputBytes</c>: a stream that would expand beyond
/// it (a zip bomb, or a lying batch) is a <see cref="Primitives.ProtocolException"/>, as is any
/// corrupt or truncated stream. A codec whose native library is missing throws
/// <see cref="DllNotFoundException"/> naming the library and its package.
/// </summary>
public interface ICompressionCodec
{
    CompressionType Type { get; }

    void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination);

    int Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxOutputBytes);
}

/// <summary>The codec for each <see cref="CompressionType"/>, with Kafka's default settings.</summary>
public static class CompressionCodecs
{
    /// <summary>A default decompression cap: far above any sane batch, far below memory exhaustion.</summary>
    public const int DefaultMaxDecompressedBytes = 256 * 1024 * 1024;

    public static ICompressionCodec Gzip { get; } = new GzipCodec();
    public static ICompressionCodec Snappy { get; } = new SnappyCodec();
    public static ICompressionCodec Lz4 { get; } = new Lz4Codec();
    public static ICompressionCodec Zstd { get; } = new ZstdCodec();

    /// <summary>The codec for a compressed type; throws for <see cref="CompressionType.None"/> and unknown ids.</summary>
    public static ICompressionCodec Get(CompressionType type) => type switch
    {
        CompressionType.Gzip => Gzip,
        CompressionType.Snappy => Snappy,
        CompressionType.Lz4 => Lz4,
        CompressionType.Zstd => Zstd,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no codec for this compression type"),
    };

    public static bool IsKnown(CompressionType type) => (byte)type <= (byte)CompressionType.Zstd;

    /// <summary>The span the next chunk of decompressed output may use, at most one byte past the cap
    /// (so exceeding the cap is detectable) and at most <paramref name="chunk"/> bytes.</summary>
    internal static Span<byte> NextChunk(IBufferWriter<byte> destination, int written, int maxOutputBytes, int chunk)
    {
        var allowed = (int)Math.Min((long)maxOutputBytes - written + 1, chunk);
        var span = destination.GetSpan(allowed);
        return span.Length > allowed ? span.Slice(0, allowed) : span;
    }

    internal static void ThrowTooLarge(CompressionType type, int maxOutputBytes) =>
        throw new Primitives.ProtocolException($"{type} data decompresses to more than the {maxOutputBytes} byte limit");
}
