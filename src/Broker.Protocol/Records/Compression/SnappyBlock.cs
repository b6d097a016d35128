using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Records.Compression;

/// <summary>
/// The raw snappy block format: a uvarint uncompressed length, then literal and copy elements
/// (tag low bits: 00 literal, 01 copy with 11-bit offset, 10 copy with 16-bit offset, 11 copy with
/// 32-bit offset). The compressor is the reference algorithm's greedy hash-table match finder over
/// 64 KB fragments, so every offset fits the 2-byte form.
/// </summary>
public static class SnappyBlock
{
    private const int FragmentSize = 1 << 16;
    private const int HashBits = 14;
    private const int InputMargin = 15;

    public static int MaxCompressedLength(int sourceLength) => 32 + sourceLength + sourceLength / 6;

    /// <summary>Reads the uncompressed length a block declares.</summary>
    public static int GetUncompressedLength(ReadOnlySpan<byte> block, out int preambleSize)
    {
        var rest = block;
        uint length;
        try
        {
            length = Varint.ReadUnsignedVarInt(ref rest);
        }
        catch (ProtocolException e)
        {
            throw new ProtocolException("corrupt snappy block: bad length preamble", e);
        }
        if (length > int.MaxValue)
        {
            throw new ProtocolException($"snappy block declares {length} bytes");
        }
        preambleSize = block.Length - rest.Length;
        return (int)length;
    }

    /// <summary>Decompresses one block into <paramref name="destination"/>, which must have exactly the
    /// declared length (see <see cref="GetUncompressedLength"/>).</summary>
    public static void Decompress(ReadOnlySpan<byte> block, Span<byte> destination)
    {
        var declared = GetUncompressedLength(block, out var i);
        if (declared != destination.Length)
        {
            throw new ArgumentException("destination must have the declared uncompressed length", nameof(destination));
        }
        // Elements are a few bytes each, so per-element overhead dominates: the loop reads and
        // writes through refs after explicit range checks, and short literals and copies move
        // 8 or 16 bytes at a time when there is slack past them (the extra bytes are overwritten
        // by later elements, and never read before that).
        ref var src = ref MemoryMarshal.GetReference(block);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var srcLength = block.Length;
        var dstLength = destination.Length;
        var d = 0;
        while (i < srcLength)
        {
            int tag = Unsafe.Add(ref src, i++);
            int length;
            int offset;
            switch (tag & 3)
            {
                case 0:
                    length = (tag >> 2) + 1;
                    if (length <= 16 && srcLength - i >= 16 && dstLength - d >= 16)
                    {
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, d), Unsafe.ReadUnaligned<Vector128<byte>>(ref Unsafe.Add(ref src, i)));
                        i += length;
                        d += length;
                        continue;
                    }
                    if (length > 60)
                    {
                        var extra = length - 60;
                        if (extra > srcLength - i)
                        {
                            throw Corrupt("literal length runs past the end");
                        }
                        uint l = 0;
                        for (var k = 0; k < extra; k++)
                        {
                            l |= (uint)Unsafe.Add(ref src, i + k) << (8 * k);
                        }
                        i += extra;
                        if (l >= int.MaxValue)
                        {
                            throw Corrupt("literal too long");
                        }
                        length = (int)l + 1;
                    }
                    if (length > srcLength - i || length > dstLength - d)
                    {
                        throw Corrupt("literal overruns the input or the declared length");
                    }
                    Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref dst, d), ref Unsafe.Add(ref src, i), (uint)length);
                    i += length;
                    d += length;
                    continue;
                case 1:
                    if (i >= srcLength)
                    {
                        throw Corrupt("copy runs past the end");
                    }
                    length = 4 + ((tag >> 2) & 7);
                    offset = ((tag & 0xE0) << 3) | Unsafe.Add(ref src, i++);
                    break;
                case 2:
                    if (srcLength - i < 2)
                    {
                        throw Corrupt("copy runs past the end");
                    }
                    length = 1 + (tag >> 2);
                    offset = BinaryPrimitives.ReadUInt16LittleEndian(block.Slice(i));
                    i += 2;
                    break;
                default:
                    if (srcLength - i < 4)
                    {
                        throw Corrupt("copy runs past the end");
                    }
                    length = 1 + (tag >> 2);
                    var o = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(i));
                    offset = o > int.MaxValue ? int.MaxValue : (int)o;
                    i += 4;
                    break;
            }
            if (offset == 0 || offset > d || length > dstLength - d)
            {
                throw Corrupt($"copy of {length} bytes at offset {offset} is out of range");
            }
            ref var to = ref Unsafe.Add(ref dst, d);
            ref var from = ref Unsafe.Add(ref dst, d - offset);
            if (offset >= 8 && dstLength - d >= ((length + 7) & ~7))
            {
                // Each 8-byte read lies wholly before the write position, so overlap is safe.
                for (var k = 0; k < length; k += 8)
                {
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, k), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref from, k)));
                }
            }
            else if (offset >= length)
            {
                Unsafe.CopyBlockUnaligned(ref to, ref from, (uint)length);
            }
            else
            {
                // A run repeating the last `offset` (< 8) bytes.
                for (var k = 0; k < length; k++)
                {
                    Unsafe.Add(ref to, k) = Unsafe.Add(ref from, k);
                }
            }
            d += length;
        }
        if (d != dstLength)
        {
            throw Corrupt($"block decodes to {d} bytes but declares {dstLength}");
        }
    }

    private static ProtocolException Corrupt(string why) => new("corrupt snappy block: " + why);

    /// <summary>Compresses into <paramref name="destination"/> (at least <see cref="MaxCompressedLength"/>
    /// bytes); returns the compressed length.</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < MaxCompressedLength(source.Length))
        {
            throw new ArgumentException("destination is smaller than MaxCompressedLength", nameof(destination));
        }
        var o = Varint.WriteUnsigned(destination, (uint)source.Length);
        Span<ushort> table = stackalloc ushort[1 << HashBits];
        for (var start = 0; start < source.Length; start += FragmentSize)
        {
            var fragment = source.Slice(start, Math.Min(FragmentSize, source.Length - start));
            table.Clear();
            o = CompressFragment(fragment, destination, o, table);
        }
        return o;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Load32(ReadOnlySpan<byte> s, int i) => BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(i));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(uint v) => (int)((v * 0x1E35A7BDu) >> (32 - HashBits));

    private static int CompressFragment(ReadOnlySpan<byte> src, Span<byte> dst, int o, Span<ushort> table)
    {
        var nextEmit = 0;
        if (src.Length >= InputMargin)
        {
            var ipLimit = src.Length - InputMargin;
            var ip = 1;
            while (true)
            {
                // Find a 4-byte match, stepping faster through incompressible data.
                var skip = 32;
                int candidate;
                while (true)
                {
                    var next = ip + (skip++ >> 5);
                    if (next > ipLimit)
                    {
                        goto Remainder;
                    }
                    var h = Hash(Load32(src, ip));
                    candidate = table[h];
                    table[h] = (ushort)ip;
                    if (Load32(src, candidate) == Load32(src, ip))
                    {
                        break;
                    }
                    ip = next;
                }
                o = EmitLiteral(src.Slice(nextEmit, ip - nextEmit), dst, o);
                // Emit copies while the byte after each match starts another match.
                while (true)
                {
                    var matched = 4 + MatchLength(src, candidate + 4, ip + 4);
                    o = EmitCopy(dst, o, ip - candidate, matched);
                    ip += matched;
                    nextEmit = ip;
                    if (ip >= ipLimit)
                    {
                        goto Remainder;
                    }
                    table[Hash(Load32(src, ip - 1))] = (ushort)(ip - 1);
                    var h = Hash(Load32(src, ip));
                    candidate = table[h];
                    table[h] = (ushort)ip;
                    if (Load32(src, candidate) != Load32(src, ip))
                    {
                        break;
                    }
                }
                ip++;
            }
        }
    Remainder:
        if (nextEmit < src.Length)
        {
            o = EmitLiteral(src.Slice(nextEmit), dst, o);
        }
        return o;
    }

    private static int MatchLength(ReadOnlySpan<byte> src, int a, int b)
    {
        var start = b;
        while (b + 8 <= src.Length)
        {
            var x = BinaryPrimitives.ReadUInt64LittleEndian(src.Slice(a)) ^ BinaryPrimitives.ReadUInt64LittleEndian(src.Slice(b));
            if (x != 0)
            {
                return b - start + (BitOperations.TrailingZeroCount(x) >> 3);
            }
            a += 8;
            b += 8;
        }
        while (b < src.Length && src[a] == src[b])
        {
            a++;
            b++;
        }
        return b - start;
    }

    private static int EmitLiteral(ReadOnlySpan<byte> literal, Span<byte> dst, int o)
    {
        var n = literal.Length - 1;
        if (n < 60)
        {
            dst[o++] = (byte)(n << 2);
        }
        else if (n < 0x100)
        {
            dst[o++] = 60 << 2;
            dst[o++] = (byte)n;
        }
        else if (n < 0x10000)
        {
            dst[o++] = 61 << 2;
            BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(o), (ushort)n);
            o += 2;
        }
        else
        {
            dst[o++] = 62 << 2;
            dst[o++] = (byte)n;
            dst[o++] = (byte)(n >> 8);
            dst[o++] = (byte)(n >> 16);
        }
        literal.CopyTo(dst.Slice(o));
        return o + literal.Length;
    }

    private static int EmitCopy(Span<byte> dst, int o, int offset, int length)
    {
        while (length >= 68)
        {
            o = EmitCopy2(dst, o, offset, 64);
            length -= 64;
        }
        if (length > 64)
        {
            o = EmitCopy2(dst, o, offset, 60);
            length -= 60;
        }
        if (length < 12 && offset < 2048)
        {
            dst[o++] = (byte)(1 | ((length - 4) << 2) | ((offset >> 8) << 5));
            dst[o++] = (byte)offset;
            return o;
        }
        return EmitCopy2(dst, o, offset, length);
    }

    private static int EmitCopy2(Span<byte> dst, int o, int offset, int length)
    {
        dst[o++] = (byte)(2 | ((length - 1) << 2));
        BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(o), (ushort)offset);
        return o + 2;
    }
}
