using System.Buffers;
using System.Runtime.InteropServices;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Records.Compression;

/// <summary>
/// zstd through the system's libzstd.so.1. Decompression streams (Kafka's producers do not always
/// record the content size in the frame) and handles concatenated frames.
/// Contexts are cached per thread: creating one costs more than compressing a small batch.
/// </summary>
public sealed unsafe class ZstdCodec : ICompressionCodec
{
    private readonly int _level;

    /// <summary>Kafka's default zstd level is 3.</summary>
    public ZstdCodec(int level = 3) => _level = level;

    public CompressionType Type => CompressionType.Zstd;

    [ThreadStatic] private static Context? t_cctx;
    [ThreadStatic] private static Context? t_dctx;

    public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var api = Api.Instance;
        var bound = (int)Math.Min(int.MaxValue, (ulong)api.CompressBound((nuint)source.Length));
        var dst = destination.GetSpan(bound);
        var ctx = t_cctx ??= new Context(api.CreateCCtx(), api.FreeCCtx);
        nuint written;
        fixed (byte* s = source)
        fixed (byte* d = dst)
        {
            written = api.CompressCCtx(ctx.Handle, d, (nuint)dst.Length, s, (nuint)source.Length, _level);
        }
        api.Check(written, "compress");
        destination.Advance((int)written);
    }

    public int Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxOutputBytes)
    {
        var api = Api.Instance;
        var ctx = t_dctx ??= new Context(api.CreateDCtx(), api.FreeDCtx);
        // A previous call that failed may have left a frame half-decoded.
        api.DCtxReset(ctx.Handle, 1 /* ZSTD_reset_session_only */);
        var total = 0;
        fixed (byte* s = source)
        {
            var input = new InBuffer { Src = s, Size = (nuint)source.Length, Pos = 0 };
            nuint hint = 0;
            while (input.Pos < input.Size || hint != 0)
            {
                var span = CompressionCodecs.NextChunk(destination, total, maxOutputBytes, 128 * 1024);
                OutBuffer output;
                fixed (byte* d = span)
                {
                    output = new OutBuffer { Dst = d, Size = (nuint)span.Length, Pos = 0 };
                    hint = api.DecompressStream(ctx.Handle, &output, &input);
                }
                api.Check(hint, "decompress");
                var n = (int)output.Pos;
                destination.Advance(n);
                total += n;
                if (total > maxOutputBytes)
                {
                    CompressionCodecs.ThrowTooLarge(Type, maxOutputBytes);
                }
                if (hint != 0 && input.Pos == input.Size && output.Pos < output.Size)
                {
                    // All input read, room left in the output, and the frame still unfinished.
                    throw new ProtocolException("truncated zstd frame");
                }
            }
        }
        return total;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct InBuffer
    {
        public byte* Src;
        public nuint Size;
        public nuint Pos;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OutBuffer
    {
        public byte* Dst;
        public nuint Size;
        public nuint Pos;
    }

    /// <summary>A native context freed when its thread's reference dies.</summary>
    private sealed class Context(nint handle, delegate* unmanaged<nint, nuint> free)
    {
        public nint Handle { get; } = handle != 0 ? handle : throw new OutOfMemoryException("zstd context");
        ~Context() => free(Handle);
    }

    private sealed class Api
    {
        private const string FileName = "libzstd.so.1";
        private static Api? s_instance;
        public static Api Instance => s_instance ??= new Api();

        public readonly delegate* unmanaged<nuint, nuint> CompressBound;
        public readonly delegate* unmanaged<nint> CreateCCtx;
        public readonly delegate* unmanaged<nint, nuint> FreeCCtx;
        public readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int, nuint> CompressCCtx;
        public readonly delegate* unmanaged<nint> CreateDCtx;
        public readonly delegate* unmanaged<nint, nuint> FreeDCtx;
        public readonly delegate* unmanaged<nint, int, nuint> DCtxReset;
        public readonly delegate* unmanaged<nint, OutBuffer*, InBuffer*, nuint> DecompressStream;
        private readonly delegate* unmanaged<nuint, uint> _isError;
        private readonly delegate* unmanaged<nuint, sbyte*> _getErrorName;

        private Api()
        {
            var lib = NativeLibraries.Load(FileName, "zstd", "libzstd1");
            CompressBound = (delegate* unmanaged<nuint, nuint>)NativeLibraries.Export(lib, FileName, "ZSTD_compressBound");
            CreateCCtx = (delegate* unmanaged<nint>)NativeLibraries.Export(lib, FileName, "ZSTD_createCCtx");
            FreeCCtx = (delegate* unmanaged<nint, nuint>)NativeLibraries.Export(lib, FileName, "ZSTD_freeCCtx");
            CompressCCtx = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int, nuint>)NativeLibraries.Export(lib, FileName, "ZSTD_compressCCtx");
            CreateDCtx = (delegate* unmanaged<nint>)NativeLibraries.Export(lib, FileName, "ZSTD_createDCtx");
            FreeDCtx = (delegate* unmanaged<nint, nuint>)NativeLibraries.Export(lib, FileName, "ZSTD_freeDCtx");
            DCtxReset = (delegate* unmanaged<nint, int, nuint>)NativeLibraries.Export(lib, FileName, "ZSTD_DCtx_reset");
            DecompressStream = (delegate* unmanaged<nint, OutBuffer*, InBuffer*, nuint>)NativeLibraries.Export(lib, FileName, "ZSTD_decompressStream");
            _isError = (delegate* unmanaged<nuint, uint>)NativeLibraries.Export(lib, FileName, "ZSTD_isError");
            _getErrorName = (delegate* unmanaged<nuint, sbyte*>)NativeLibraries.Export(lib, FileName, "ZSTD_getErrorName");
        }

        public void Check(nuint code, string what)
        {
            if (_isError(code) != 0)
            {
                throw new ProtocolException($"zstd {what} failed: {new string(_getErrorName(code))}");
            }
        }
    }
}
