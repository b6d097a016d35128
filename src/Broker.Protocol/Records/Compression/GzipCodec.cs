using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Records.Compression;

/// <summary>gzip (RFC 1952) through System.IO.Compression; concatenated members are read as one stream.</summary>
public sealed class GzipCodec : ICompressionCodec
{
    private readonly CompressionLevel _level;

    public GzipCodec(CompressionLevel level = CompressionLevel.Fastest) => _level = level;

    public CompressionType Type => CompressionType.Gzip;

    public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        using var sink = new BufferWriterStream(destination);
        using (var gz = new GZipStream(sink, _level, leaveOpen: true))
        {
            gz.Write(source);
        }
    }

    public unsafe int Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxOutputBytes)
    {
        fixed (byte* p = source)
        {
            using var input = new UnmanagedMemoryStream(p, source.Length);
            using var gz = new GZipStream(input, CompressionMode.Decompress);
            var total = 0;
            var crc = ~0u;
            try
            {
                while (true)
                {
                    var span = CompressionCodecs.NextChunk(destination, total, maxOutputBytes, 64 * 1024);
                    var n = gz.Read(span);
                    if (n == 0)
                    {
                        CheckTrailer(source, ~crc, total);
                        return total;
                    }
                    crc = Crc32.Append(crc, span.Slice(0, n));
                    destination.Advance(n);
                    total += n;
                    if (total > maxOutputBytes)
                    {
                        CompressionCodecs.ThrowTooLarge(Type, maxOutputBytes);
                    }
                }
            }
            catch (InvalidDataException e)
            {
                throw new ProtocolException("corrupt gzip data: " + e.Message, e);
            }
        }
    }

    /// <summary>
    /// GZipStream treats input that ends mid-stream as a normal end, so truncated input would
    /// decode to a prefix. Kafka's clients write one gzip member, whose trailer (CRC-32 and size of
    /// the whole output) must match what was produced; truncation leaves other bytes there.
    /// A trailer size smaller than the output is a later member of a multi-member stream: zlib
    /// has checked that member's trailer itself, so it is accepted.
    /// </summary>
    private static void CheckTrailer(ReadOnlySpan<byte> source, uint outputCrc, int total)
    {
        if (source.Length < 18)
        {
            throw new ProtocolException("gzip data shorter than its header and trailer");
        }
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(source.Length - 8));
        var size = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(source.Length - 4));
        if (size > (uint)total || (size == (uint)total && crc != outputCrc))
        {
            throw new ProtocolException("truncated or corrupt gzip data: the trailer does not match the output");
        }
    }

    /// <summary>A write-only stream appending to an <see cref="IBufferWriter{T}"/>.</summary>
    private sealed class BufferWriterStream(IBufferWriter<byte> writer) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            buffer.CopyTo(writer.GetSpan(buffer.Length));
            writer.Advance(buffer.Length);
        }
    }
}
