using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Broker.Protocol.Primitives;

/// <summary>
/// Writes Kafka's primitive types into a span sized in advance (messages report their encoded
/// size first, so the writer never grows or copies). See <see cref="KafkaEncoding"/> for the sizes.
/// </summary>
public ref struct KafkaWriter
{
    private readonly Span<byte> _span;
    private int _position;

    public KafkaWriter(Span<byte> destination)
    {
        _span = destination;
        _position = 0;
    }

    public readonly int Position => _position;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Take(int count)
    {
        var s = _span.Slice(_position, count);
        _position += count;
        return s;
    }

    public void WriteInt8(sbyte v) => Take(1)[0] = (byte)v;
    public void WriteBool(bool v) => Take(1)[0] = v ? (byte)1 : (byte)0;
    public void WriteInt16(short v) => BinaryPrimitives.WriteInt16BigEndian(Take(2), v);
    public void WriteUInt16(ushort v) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), v);
    public void WriteInt32(int v) => BinaryPrimitives.WriteInt32BigEndian(Take(4), v);
    public void WriteUInt32(uint v) => BinaryPrimitives.WriteUInt32BigEndian(Take(4), v);
    public void WriteInt64(long v) => BinaryPrimitives.WriteInt64BigEndian(Take(8), v);
    public void WriteFloat64(double v) => BinaryPrimitives.WriteDoubleBigEndian(Take(8), v);

    public void WriteUuid(Guid v)
    {
        if (!v.TryWriteBytes(Take(16), bigEndian: true, out _))
        {
            throw new InvalidOperationException("uuid write failed");
        }
    }

    public void WriteUnsignedVarInt(uint v)
    {
        while (v >= 0x80)
        {
            Take(1)[0] = (byte)(v | 0x80);
            v >>= 7;
        }
        Take(1)[0] = (byte)v;
    }

    public void WriteVarInt(int v) => WriteUnsignedVarInt((uint)((v << 1) ^ (v >> 31)));

    public void WriteUnsignedVarLong(ulong v)
    {
        while (v >= 0x80)
        {
            Take(1)[0] = (byte)(v | 0x80);
            v >>= 7;
        }
        Take(1)[0] = (byte)v;
    }

    public void WriteVarLong(long v) => WriteUnsignedVarLong((ulong)((v << 1) ^ (v >> 63)));

    public void WriteString(string v)
    {
        var n = Encoding.UTF8.GetByteCount(v);
        WriteInt16(checked((short)n));
        Encoding.UTF8.GetBytes(v, Take(n));
    }

    public void WriteNullableString(string? v)
    {
        if (v is null)
        {
            WriteInt16(-1);
            return;
        }
        WriteString(v);
    }

    public void WriteCompactString(string v) => WriteCompactNullableString(v);

    public void WriteCompactNullableString(string? v)
    {
        if (v is null)
        {
            WriteUnsignedVarInt(0);
            return;
        }
        var n = Encoding.UTF8.GetByteCount(v);
        WriteUnsignedVarInt((uint)n + 1);
        Encoding.UTF8.GetBytes(v, Take(n));
    }

    public void WriteBytes(ReadOnlySpan<byte> v)
    {
        WriteInt32(v.Length);
        v.CopyTo(Take(v.Length));
    }

    public void WriteNullableBytes(ReadOnlyMemory<byte>? v)
    {
        if (v is null)
        {
            WriteInt32(-1);
            return;
        }
        WriteBytes(v.Value.Span);
    }

    public void WriteCompactBytes(ReadOnlySpan<byte> v)
    {
        WriteUnsignedVarInt((uint)v.Length + 1);
        v.CopyTo(Take(v.Length));
    }

    public void WriteCompactNullableBytes(ReadOnlyMemory<byte>? v)
    {
        if (v is null)
        {
            WriteUnsignedVarInt(0);
            return;
        }
        WriteCompactBytes(v.Value.Span);
    }

    public void WriteArrayCount(int count) => WriteInt32(count);

    /// <summary>Compact array count: N+1, or 0 for a null array (pass -1).</summary>
    public void WriteCompactArrayCount(int count) => WriteUnsignedVarInt((uint)(count + 1));

    public void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Take(bytes.Length));

    /// <summary>An empty tagged-field section.</summary>
    public void WriteEmptyTaggedFields() => Take(1)[0] = 0;

    // Overloads taking `compact`, for generated code (see KafkaReader).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteString(string v, bool compact)
    {
        if (compact)
        {
            WriteCompactString(v);
        }
        else
        {
            WriteString(v);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteNullableString(string? v, bool compact)
    {
        if (compact)
        {
            WriteCompactNullableString(v);
        }
        else
        {
            WriteNullableString(v);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBytes(ReadOnlySpan<byte> v, bool compact)
    {
        if (compact)
        {
            WriteCompactBytes(v);
        }
        else
        {
            WriteBytes(v);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteNullableBytes(ReadOnlyMemory<byte>? v, bool compact)
    {
        if (compact)
        {
            WriteCompactNullableBytes(v);
        }
        else
        {
            WriteNullableBytes(v);
        }
    }

    /// <summary>An array count in either encoding; pass -1 for a null array.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteArrayCount(int count, bool compact)
    {
        if (compact)
        {
            WriteCompactArrayCount(count);
        }
        else
        {
            WriteArrayCount(count);
        }
    }
}
