using System.Buffers.Binary;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Records;

/// <summary>
/// A view of one legacy message (magic 0 or 1) in a message set:
/// offset int64 | messageSize int32 | crc uint32 | magic int8 | attributes int8 |
/// [timestamp int64, magic 1 only] | key bytes (int32 length, -1 null) | value bytes.
/// The CRC is CRC-32 (IEEE) over magic..end. A compressed message is a wrapper whose value is a
/// compressed message set (see <see cref="LegacyMessageSet"/>).
/// </summary>
public readonly ref struct LegacyMessage
{
    public const int LogOverhead = 12;
    public const int MinSizeV0 = 4 + 1 + 1 + 4 + 4;
    public const int MinSizeV1 = MinSizeV0 + 8;
    private const int TimestampTypeBit = 0x08;

    internal LegacyMessage(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull)
    {
        Bytes = bytes;
        Key = key;
        KeyIsNull = keyIsNull;
        Value = value;
        ValueIsNull = valueIsNull;
    }

    /// <summary>The whole message, offset and size included.</summary>
    public ReadOnlySpan<byte> Bytes { get; }
    public long Offset => BinaryPrimitives.ReadInt64BigEndian(Bytes);
    public int MessageSize => BinaryPrimitives.ReadInt32BigEndian(Bytes.Slice(8));
    public uint Crc => BinaryPrimitives.ReadUInt32BigEndian(Bytes.Slice(12));
    public byte Magic => Bytes[16];
    public byte Attributes => Bytes[17];
    public CompressionType Compression => (CompressionType)(Attributes & 0x07);
    public bool IsLogAppendTime => Magic > 0 && (Attributes & TimestampTypeBit) != 0;
    /// <summary>The timestamp (magic 1), or -1 (Kafka's NO_TIMESTAMP) for magic 0.</summary>
    public long Timestamp => Magic == 0 ? -1 : BinaryPrimitives.ReadInt64BigEndian(Bytes.Slice(18));
    public ReadOnlySpan<byte> Key { get; }
    public bool KeyIsNull { get; }
    public ReadOnlySpan<byte> Value { get; }
    public bool ValueIsNull { get; }

    public uint ComputeCrc() => Records.Crc32.Compute(Bytes.Slice(16));
    public bool IsCrcValid => Crc == ComputeCrc();
}

/// <summary>
/// Walks the messages of a legacy message set without expanding compressed wrappers.
/// Checks every length; corruption is a <see cref="ProtocolException"/>. A message cut off at the
/// end (fetch responses may end that way) ends the walk if <c>allowPartialTail</c>, else throws.
/// </summary>
public ref struct LegacyMessageEnumerator
{
    private ReadOnlySpan<byte> _rest;
    private readonly bool _allowPartialTail;
    private LegacyMessage _current;

    public LegacyMessageEnumerator(ReadOnlySpan<byte> messageSet, bool allowPartialTail = false)
    {
        _rest = messageSet;
        _allowPartialTail = allowPartialTail;
        _current = default;
    }

    public readonly LegacyMessageEnumerator GetEnumerator() => this;

    public readonly LegacyMessage Current => _current;

    public bool MoveNext()
    {
        if (_rest.IsEmpty)
        {
            return false;
        }
        if (_rest.Length < LegacyMessage.LogOverhead + LegacyMessage.MinSizeV0)
        {
            return _allowPartialTail ? false : throw new ProtocolException($"{_rest.Length} trailing bytes cannot hold a message");
        }
        var size = BinaryPrimitives.ReadInt32BigEndian(_rest.Slice(8));
        if (size < LegacyMessage.MinSizeV0)
        {
            throw new ProtocolException($"message size {size} is below the minimum");
        }
        if (size > _rest.Length - LegacyMessage.LogOverhead)
        {
            return _allowPartialTail ? false : throw new ProtocolException($"message size {size} exceeds the {_rest.Length - LegacyMessage.LogOverhead} bytes remaining");
        }
        var bytes = _rest.Slice(0, LegacyMessage.LogOverhead + size);
        _rest = _rest.Slice(bytes.Length);
        var magic = bytes[16];
        if (magic > 1)
        {
            throw new ProtocolException($"magic {magic} in a legacy message set");
        }
        if (magic == 1 && size < LegacyMessage.MinSizeV1)
        {
            throw new ProtocolException($"message size {size} is below the magic 1 minimum");
        }
        var body = bytes.Slice(magic == 0 ? 18 : 26);
        var key = ReadBytes(ref body, out var keyIsNull);
        var value = ReadBytes(ref body, out var valueIsNull);
        if (!body.IsEmpty)
        {
            throw new ProtocolException($"message size {size} leaves {body.Length} bytes after the value");
        }
        _current = new LegacyMessage(bytes, key, keyIsNull, value, valueIsNull);
        return true;
    }

    private static ReadOnlySpan<byte> ReadBytes(scoped ref ReadOnlySpan<byte> body, out bool isNull)
    {
        if (body.Length < 4)
        {
            throw new ProtocolException("message ends inside a length field");
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(body);
        body = body.Slice(4);
        if (length == -1)
        {
            isNull = true;
            return default;
        }
        if (length < -1 || length > body.Length)
        {
            throw new ProtocolException($"length {length} is invalid with {body.Length} bytes remaining in the message");
        }
        isNull = false;
        var s = body.Slice(0, length);
        body = body.Slice(length);
        return s;
    }
}
