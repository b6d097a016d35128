using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Broker.Protocol.Primitives;

/// <summary>
/// Reads Kafka's primitive types from one contiguous frame. Every length and count is checked
/// against the bytes remaining before anything is allocated, so a lying length field costs an
/// exception, never a huge allocation or an IndexOutOfRange.
/// The frame is held as memory too, so <c>records</c> fields can be sliced without copying.
/// </summary>
public ref struct KafkaReader
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public KafkaReader(ReadOnlyMemory<byte> frame)
    {
        _memory = frame;
        _span = frame.Span;
        _position = 0;
    }

    public readonly int Position => _position;
    public readonly int Remaining => _span.Length - _position;
    public readonly bool End => _position >= _span.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_span.Length - _position))
        {
            ThrowTruncated(count);
        }
        var s = _span.Slice(_position, count);
        _position += count;
        return s;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowTruncated(int count) =>
        throw new ProtocolException($"truncated input: need {count} bytes at position {_position}, {Remaining} remain");

    public sbyte ReadInt8() => (sbyte)Take(1)[0];
    public bool ReadBool() => Take(1)[0] != 0;
    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));
    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));
    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));
    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    public Guid ReadUuid()
    {
        // Kafka's Uuid is two big-endian longs; Guid is stored here in that byte order (big-endian).
        return new Guid(Take(16), bigEndian: true);
    }

    public uint ReadUnsignedVarInt()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(1)[0];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new ProtocolException("unsigned varint longer than 5 bytes");
    }

    public int ReadVarInt()
    {
        var raw = ReadUnsignedVarInt();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    public ulong ReadUnsignedVarLong()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Take(1)[0];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new ProtocolException("unsigned varlong longer than 10 bytes");
    }

    public long ReadVarLong()
    {
        var raw = ReadUnsignedVarLong();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>Length of a compact field (uvarint N+1; 0 means null). Returns -1 for null.</summary>
    public int ReadCompactLength()
    {
        var n = ReadUnsignedVarInt();
        if (n > int.MaxValue)
        {
            throw new ProtocolException($"compact length {n} out of range");
        }
        return (int)n - 1;
    }

    private string DecodeString(int length)
    {
        var bytes = Take(length);
        return bytes.Length == 0 ? string.Empty : Encoding.UTF8.GetString(bytes);
    }

    private void CheckLength(int length, string what)
    {
        if (length < -1)
        {
            throw new ProtocolException($"negative {what} length {length}");
        }
        if (length > Remaining)
        {
            throw new ProtocolException($"{what} length {length} exceeds the {Remaining} bytes remaining");
        }
    }

    public string ReadString()
    {
        var len = ReadInt16();
        if (len < 0)
        {
            throw new ProtocolException("null string where a non-null string is required");
        }
        CheckLength(len, "string");
        return DecodeString(len);
    }

    public string? ReadNullableString()
    {
        var len = ReadInt16();
        if (len == -1)
        {
            return null;
        }
        CheckLength(len, "string");
        return DecodeString(len);
    }

    public string ReadCompactString() =>
        ReadCompactNullableString() ?? throw new ProtocolException("null string where a non-null string is required");

    public string? ReadCompactNullableString()
    {
        var len = ReadCompactLength();
        if (len == -1)
        {
            return null;
        }
        CheckLength(len, "string");
        return DecodeString(len);
    }

    /// <summary>Bytes fields are sliced from the frame, not copied.</summary>
    public ReadOnlyMemory<byte> ReadBytes() => ReadNullableBytes() ?? throw new ProtocolException("null bytes where non-null bytes are required");

    public ReadOnlyMemory<byte>? ReadNullableBytes()
    {
        var len = ReadInt32();
        return SliceBytes(len);
    }

    public ReadOnlyMemory<byte> ReadCompactBytes() => ReadCompactNullableBytes() ?? throw new ProtocolException("null bytes where non-null bytes are required");

    public ReadOnlyMemory<byte>? ReadCompactNullableBytes() => SliceBytes(ReadCompactLength());

    private ReadOnlyMemory<byte>? SliceBytes(int len)
    {
        if (len == -1)
        {
            return null;
        }
        CheckLength(len, "bytes");
        var m = _memory.Slice(_position, len);
        _position += len;
        return m;
    }

    /// <summary>Reads an array count (int32, -1 = null) and checks it against the bytes left,
    /// assuming each element takes at least <paramref name="minElementSize"/> bytes.</summary>
    public int ReadArrayCount(int minElementSize = 1)
    {
        var n = ReadInt32();
        return CheckCount(n, minElementSize);
    }

    /// <summary>Compact array count (uvarint N+1, 0 = null): returns -1 for null.</summary>
    public int ReadCompactArrayCount(int minElementSize = 1)
    {
        var n = ReadCompactLength();
        return CheckCount(n, minElementSize);
    }

    private readonly int CheckCount(int n, int minElementSize)
    {
        if (n < -1)
        {
            throw new ProtocolException($"negative array count {n}");
        }
        if (n > 0 && (long)n * Math.Max(1, minElementSize) > Remaining)
        {
            throw new ProtocolException($"array count {n} cannot fit in the {Remaining} bytes remaining");
        }
        return n;
    }

    public void Skip(int count) => Take(count);

    /// <summary>Reads raw bytes as a slice of the frame.</summary>
    public ReadOnlyMemory<byte> ReadRaw(int count)
    {
        CheckLength(count, "raw");
        var m = _memory.Slice(_position, count);
        _position += count;
        return m;
    }

    /// <summary>Reads a tagged field's size and checks it fits in what remains.</summary>
    public int ReadTaggedFieldSize()
    {
        var size = ReadUnsignedVarInt();
        if (size > (uint)Remaining)
        {
            throw new ProtocolException($"tagged field size {size} exceeds the {Remaining} bytes remaining");
        }
        return (int)size;
    }

    /// <summary>Checks a known tagged field used exactly the size its header announced.</summary>
    public readonly void ExpectTaggedFieldEnd(int start, int size)
    {
        if (_position - start != size)
        {
            throw new ProtocolException($"tagged field declared {size} bytes but its value took {_position - start}");
        }
    }

    /// <summary>Skips a tagged-field section, used where the reader knows no tags.</summary>
    public void SkipTaggedFields()
    {
        var count = ReadUnsignedVarInt();
        for (uint i = 0; i < count; i++)
        {
            ReadUnsignedVarInt();
            var size = ReadUnsignedVarInt();
            if (size > int.MaxValue)
            {
                throw new ProtocolException("tagged field size out of range");
            }
            Take((int)size);
        }
    }

    // Overloads taking `compact`: generated code passes the version check (e.g. `version >= 9`)
    // instead of branching on flexible versions at every field.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public string ReadString(bool compact) => compact ? ReadCompactString() : ReadString();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public string? ReadNullableString(bool compact) => compact ? ReadCompactNullableString() : ReadNullableString();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlyMemory<byte> ReadBytes(bool compact) => compact ? ReadCompactBytes() : ReadBytes();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlyMemory<byte>? ReadNullableBytes(bool compact) => compact ? ReadCompactNullableBytes() : ReadNullableBytes();

    /// <summary>An array count in either encoding; -1 for null. Checked against the bytes remaining.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadArrayCount(bool compact, int minElementSize) =>
        compact ? ReadCompactArrayCount(minElementSize) : ReadArrayCount(minElementSize);
}
