using System.Runtime.CompilerServices;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Records;

/// <summary>
/// Zigzag varints over spans, as v2 records use them. Readers take the span by ref and advance it;
/// a varint running off the end of the span, or longer than its type allows, is a
/// <see cref="ProtocolException"/> (a corrupt record), never an out-of-range read.
/// </summary>
public static class Varint
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadVarInt(ref ReadOnlySpan<byte> span)
    {
        // One- and two-byte varints are the common case: deltas, and lengths below 8 KB.
        if (span.Length >= 2)
        {
            uint b0 = span[0];
            if (b0 < 0x80)
            {
                span = span.Slice(1);
                return (int)(b0 >> 1) ^ -(int)(b0 & 1);
            }
            uint b1 = span[1];
            if (b1 < 0x80)
            {
                var v = (b0 & 0x7F) | (b1 << 7);
                span = span.Slice(2);
                return (int)(v >> 1) ^ -(int)(v & 1);
            }
        }
        var raw = ReadUnsignedVarIntSlow(ref span);
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint ReadUnsignedVarIntSlow(ref ReadOnlySpan<byte> span)
    {
        uint value = 0;
        for (var i = 0; i < 5; i++)
        {
            if (i >= span.Length)
            {
                throw new ProtocolException("varint runs past the end of the record");
            }
            var b = span[i];
            if (i == 4 && b > 0x0F)
            {
                throw new ProtocolException("varint overflows 32 bits");
            }
            value |= (uint)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                span = span.Slice(i + 1);
                return value;
            }
        }
        throw new ProtocolException("varint longer than 5 bytes");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ReadVarLong(ref ReadOnlySpan<byte> span)
    {
        if (span.Length > 0 && span[0] < 0x80)
        {
            ulong b = span[0];
            span = span.Slice(1);
            return (long)(b >> 1) ^ -(long)(b & 1);
        }
        var raw = ReadUnsignedVarLongSlow(ref span);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong ReadUnsignedVarLongSlow(ref ReadOnlySpan<byte> span)
    {
        ulong value = 0;
        for (var i = 0; i < 10; i++)
        {
            if (i >= span.Length)
            {
                throw new ProtocolException("varlong runs past the end of the record");
            }
            var b = span[i];
            if (i == 9 && b > 0x01)
            {
                throw new ProtocolException("varlong overflows 64 bits");
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                span = span.Slice(i + 1);
                return value;
            }
        }
        throw new ProtocolException("varlong longer than 10 bytes");
    }

    /// <summary>Reads an unsigned (not zigzag) varint, as snappy's preamble uses.</summary>
    public static uint ReadUnsignedVarInt(ref ReadOnlySpan<byte> span) => ReadUnsignedVarIntSlow(ref span);

    public static int SizeOfVarInt(int value) => SizeOfUnsigned((uint)((value << 1) ^ (value >> 31)));

    public static int SizeOfVarLong(long value) => SizeOfUnsigned((ulong)((value << 1) ^ (value >> 63)));

    public static int SizeOfUnsigned(uint v) => (38 - System.Numerics.BitOperations.LeadingZeroCount(v | 1)) / 7;

    public static int SizeOfUnsigned(ulong v) => (70 - System.Numerics.BitOperations.LeadingZeroCount(v | 1)) / 7;

    /// <summary>Writes a zigzag varint at the start of <paramref name="dest"/>; returns the bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteVarInt(Span<byte> dest, int value) => WriteUnsigned(dest, (uint)((value << 1) ^ (value >> 31)));

    public static int WriteVarLong(Span<byte> dest, long value) => WriteUnsigned(dest, (ulong)((value << 1) ^ (value >> 63)));

    public static int WriteUnsigned(Span<byte> dest, uint v)
    {
        var i = 0;
        while (v >= 0x80)
        {
            dest[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        dest[i++] = (byte)v;
        return i;
    }

    public static int WriteUnsigned(Span<byte> dest, ulong v)
    {
        var i = 0;
        while (v >= 0x80)
        {
            dest[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        dest[i++] = (byte)v;
        return i;
    }
}
