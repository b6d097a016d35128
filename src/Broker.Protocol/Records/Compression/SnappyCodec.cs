using System.Buffers;
using System.Buffers.Binary;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Records.Compression;

/// <summary>
/// snappy as Kafka clients send it: the Java client wraps blocks in xerial's snappy-java framing
/// (magic <c>\x82SNAPPY\0</c>, int32 version, int32 compatible version, then [int32 length, raw block]*),
/// librdkafka sends one raw block. Decompression detects which; compression writes xerial framing
/// (32 KB blocks, as snappy-java does), which every client reads.
/// </summary>
public sealed class SnappyCodec : ICompressionCodec
{
    private static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];
    private const int XerialHeaderSize = 16;
    private const int XerialBlockSize = 32 * 1024;

    private readonly bool _xerialFraming;

    public SnappyCodec(bool xerialFraming = true) => _xerialFraming = xerialFraming;

    public CompressionType Type => CompressionType.Snappy;

    public static bool IsXerialFramed(ReadOnlySpan<byte> source) =>
        source.Length >= XerialHeaderSize && source.StartsWith(XerialMagic);

    public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        if (!_xerialFraming)
        {
            CompressBlock(source, destination);
            return;
        }
        var header = destination.GetSpan(XerialHeaderSize);
        XerialMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header.Slice(8), 1);
        BinaryPrimitives.WriteInt32BigEndian(header.Slice(12), 1);
        destination.Advance(XerialHeaderSize);
        for (var start = 0; start < source.Length; start += XerialBlockSize)
        {
            var chunk = source.Slice(start, Math.Min(XerialBlockSize, source.Length - start));
            var span = destination.GetSpan(4 + SnappyBlock.MaxCompressedLength(chunk.Length));
            var n = SnappyBlock.Compress(chunk, span.Slice(4));
            BinaryPrimitives.WriteInt32BigEndian(span, n);
            destination.Advance(4 + n);
        }
    }

    private static void CompressBlock(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var span = destination.GetSpan(SnappyBlock.MaxCompressedLength(source.Length));
        destination.Advance(SnappyBlock.Compress(source, span));
    }

    public int Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxOutputBytes)
    {
        if (!IsXerialFramed(source))
        {
            return DecompressBlock(source, destination, 0, maxOutputBytes);
        }
        var total = 0;
        var rest = source.Slice(XerialHeaderSize);
        while (!rest.IsEmpty)
        {
            if (rest.Length < 4)
            {
                throw new ProtocolException("truncated xerial snappy block length");
            }
            var length = BinaryPrimitives.ReadInt32BigEndian(rest);
            if (length < 0 || length > rest.Length - 4)
            {
                throw new ProtocolException($"xerial snappy block length {length} is invalid with {rest.Length - 4} bytes remaining");
            }
            total += DecompressBlock(rest.Slice(4, length), destination, total, maxOutputBytes);
            rest = rest.Slice(4 + length);
        }
        return total;
    }

    private int DecompressBlock(ReadOnlySpan<byte> block, IBufferWriter<byte> destination, int written, int maxOutputBytes)
    {
        var length = SnappyBlock.GetUncompressedLength(block, out _);
        // The declared length is checked against the cap before anything is allocated.
        if (length > maxOutputBytes - written)
        {
            CompressionCodecs.ThrowTooLarge(Type, maxOutputBytes);
        }
        var span = destination.GetSpan(length).Slice(0, length);
        SnappyBlock.Decompress(block, span);
        destination.Advance(length);
        return length;
    }
}
