using System.Buffers;
using System.Runtime.InteropServices;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Records.Compression;

/// <summary>
/// LZ4 frame format (what Kafka's magic v1+ batches carry) through the system's liblz4.so.1 LZ4F_*
/// API, which handles every frame flag: block and content checksums, content size, linked blocks.
/// Compression writes 64 KB independent blocks, the layout Kafka's Java client writes and reads.
/// Magic v0 messages from Kafka before 0.10 carry a wrong header checksum (KAFKA-1493); those are
/// not accepted here.
/// </summary>
public sealed unsafe class Lz4Codec : ICompressionCodec
{
    public CompressionType Type => CompressionType.Lz4;

    [ThreadStatic] private static DecompressionContext? t_dctx;

    public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var api = Api.Instance;
        var prefs = new Preferences { BlockSizeId = 4 /* max64KB */, BlockMode = 1 /* independent */ };
        var bound = (int)Math.Min(int.MaxValue, (ulong)api.CompressFrameBound((nuint)source.Length, &prefs));
        var dst = destination.GetSpan(bound);
        nuint written;
        fixed (byte* s = source)
        fixed (byte* d = dst)
        {
            written = api.CompressFrame(d, (nuint)dst.Length, s, (nuint)source.Length, &prefs);
        }
        api.Check(written, "compress");
        destination.Advance((int)written);
    }

    public int Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxOutputBytes)
    {
        var api = Api.Instance;
        var ctx = t_dctx ??= new DecompressionContext(api);
        // A previous call that failed may have left a frame half-decoded.
        api.ResetDecompressionContext(ctx.Handle);
        var total = 0;
        var pos = 0;
        nuint hint = 1;
        fixed (byte* s = source)
        {
            // Loop until all input is read and the last frame is complete (hint 0).
            while (pos < source.Length || hint != 0)
            {
                var span = CompressionCodecs.NextChunk(destination, total, maxOutputBytes, 128 * 1024);
                var dstSize = (nuint)span.Length;
                var srcSize = (nuint)(source.Length - pos);
                fixed (byte* d = span)
                {
                    hint = api.DecompressFrame(ctx.Handle, d, &dstSize, s + pos, &srcSize, null);
                }
                api.Check(hint, "decompress");
                pos += (int)srcSize;
                destination.Advance((int)dstSize);
                total += (int)dstSize;
                if (total > maxOutputBytes)
                {
                    CompressionCodecs.ThrowTooLarge(Type, maxOutputBytes);
                }
                if (hint != 0 && pos == source.Length && dstSize < (nuint)span.Length)
                {
                    // All input read, room left in the output, and the frame still unfinished.
                    throw new ProtocolException("truncated lz4 frame");
                }
            }
        }
        return total;
    }

    /// <summary>LZ4F_preferences_t (lz4frame.h, v1.8+): frame info, then level and flags.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Preferences
    {
        public int BlockSizeId;
        public int BlockMode;
        public int ContentChecksumFlag;
        public int FrameType;
        public ulong ContentSize;
        public uint DictId;
        public int BlockChecksumFlag;
        public int CompressionLevel;
        public uint AutoFlush;
        public uint FavorDecSpeed;
        public uint Reserved0;
        public uint Reserved1;
        public uint Reserved2;
    }

    private sealed class DecompressionContext
    {
        private readonly Api _api;

        public DecompressionContext(Api api)
        {
            _api = api;
            nint handle;
            api.Check(api.CreateDecompressionContext(&handle, 100 /* LZ4F_VERSION */), "context");
            Handle = handle;
        }

        public nint Handle { get; }

        ~DecompressionContext() => _api.FreeDecompressionContext(Handle);
    }

    private sealed class Api
    {
        private const string FileName = "liblz4.so.1";
        private static Api? s_instance;
        public static Api Instance => s_instance ??= new Api();

        public readonly delegate* unmanaged<nuint, Preferences*, nuint> CompressFrameBound;
        public readonly delegate* unmanaged<byte*, nuint, byte*, nuint, Preferences*, nuint> CompressFrame;
        public readonly delegate* unmanaged<nint*, uint, nuint> CreateDecompressionContext;
        public readonly delegate* unmanaged<nint, nuint> FreeDecompressionContext;
        public readonly delegate* unmanaged<nint, void> ResetDecompressionContext;
        public readonly delegate* unmanaged<nint, byte*, nuint*, byte*, nuint*, void*, nuint> DecompressFrame;
        private readonly delegate* unmanaged<nuint, uint> _isError;
        private readonly delegate* unmanaged<nuint, sbyte*> _getErrorName;

        private Api()
        {
            var lib = NativeLibraries.Load(FileName, "lz4", "liblz4-1");
            CompressFrameBound = (delegate* unmanaged<nuint, Preferences*, nuint>)NativeLibraries.Export(lib, FileName, "LZ4F_compressFrameBound");
            CompressFrame = (delegate* unmanaged<byte*, nuint, byte*, nuint, Preferences*, nuint>)NativeLibraries.Export(lib, FileName, "LZ4F_compressFrame");
            CreateDecompressionContext = (delegate* unmanaged<nint*, uint, nuint>)NativeLibraries.Export(lib, FileName, "LZ4F_createDecompressionContext");
            FreeDecompressionContext = (delegate* unmanaged<nint, nuint>)NativeLibraries.Export(lib, FileName, "LZ4F_freeDecompressionContext");
            ResetDecompressionContext = (delegate* unmanaged<nint, void>)NativeLibraries.Export(lib, FileName, "LZ4F_resetDecompressionContext");
            DecompressFrame = (delegate* unmanaged<nint, byte*, nuint*, byte*, nuint*, void*, nuint>)NativeLibraries.Export(lib, FileName, "LZ4F_decompress");
            _isError = (delegate* unmanaged<nuint, uint>)NativeLibraries.Export(lib, FileName, "LZ4F_isError");
            _getErrorName = (delegate* unmanaged<nuint, sbyte*>)NativeLibraries.Export(lib, FileName, "LZ4F_getErrorName");
        }

        public void Check(nuint code, string what)
        {
            if (_isError(code) != 0)
            {
                throw new ProtocolException($"lz4 {what} failed: {new string(_getErrorName(code))}");
            }
        }
    }
}
