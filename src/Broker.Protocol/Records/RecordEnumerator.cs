using Broker.Protocol.Primitives;

namespace Broker.Protocol.Records;

/// <summary>
/// Walks the records of an uncompressed records section (a batch's records, or the output of
/// decompressing them). Checks each record against its length field and the bytes remaining, and
/// that exactly <c>count</c> records fill the section; corruption is a <see cref="ProtocolException"/>.
/// Allocates nothing: every <see cref="Record"/> is a set of slices.
/// </summary>
public ref struct RecordEnumerator
{
    private ReadOnlySpan<byte> _rest;
    private int _remaining;
    private Record _current;

    public RecordEnumerator(ReadOnlySpan<byte> records, int count)
    {
        if (count < 0)
        {
            throw new ProtocolException($"negative record count {count}");
        }
        _rest = records;
        _remaining = count;
        _current = default;
    }

    public readonly RecordEnumerator GetEnumerator() => this;

    public readonly Record Current => _current;

    /// <summary>Records not yet read.</summary>
    public readonly int Remaining => _remaining;

    public bool MoveNext()
    {
        if (_remaining == 0)
        {
            if (!_rest.IsEmpty)
            {
                throw new ProtocolException($"{_rest.Length} bytes follow the last record the batch declares");
            }
            return false;
        }
        _remaining--;
        _current = RecordParser.ReadRecord(ref _rest);
        return true;
    }
}

/// <summary>The checked parsing behind <see cref="RecordEnumerator"/> and <see cref="RecordHeaderEnumerator"/>.</summary>
internal static class RecordParser
{
    public static Record ReadRecord(scoped ref ReadOnlySpan<byte> rest)
    {
        if (rest.IsEmpty)
        {
            throw new ProtocolException("the batch declares more records than it holds");
        }
        var length = Varint.ReadVarInt(ref rest);
        // Smallest record: attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount.
        if (length < 6 || length > rest.Length)
        {
            throw new ProtocolException($"record length {length} is invalid with {rest.Length} bytes remaining");
        }
        var body = rest.Slice(0, length);
        rest = rest.Slice(length);

        var attributes = (sbyte)body[0];
        body = body.Slice(1);
        var timestampDelta = Varint.ReadVarLong(ref body);
        var offsetDelta = Varint.ReadVarInt(ref body);
        var key = ReadNullableBytes(ref body, "key", out var keyIsNull);
        var value = ReadNullableBytes(ref body, "value", out var valueIsNull);
        var headerCount = Varint.ReadVarInt(ref body);
        // Each header takes at least two bytes (key length and value length).
        if (headerCount < 0 || headerCount > body.Length / 2)
        {
            throw new ProtocolException($"header count {headerCount} is invalid with {body.Length} bytes remaining");
        }
        var headers = body;
        for (var i = 0; i < headerCount; i++)
        {
            ReadHeader(ref body);
        }
        if (!body.IsEmpty)
        {
            throw new ProtocolException($"record length {length} leaves {body.Length} bytes unread after its headers");
        }
        return new Record(length, attributes, timestampDelta, offsetDelta, key, keyIsNull, value, valueIsNull, headerCount, headers);
    }

    public static RecordHeader ReadHeader(scoped ref ReadOnlySpan<byte> rest)
    {
        var keyLength = Varint.ReadVarInt(ref rest);
        if (keyLength < 0 || keyLength > rest.Length)
        {
            throw new ProtocolException($"header key length {keyLength} is invalid with {rest.Length} bytes remaining");
        }
        var key = rest.Slice(0, keyLength);
        rest = rest.Slice(keyLength);
        var value = ReadNullableBytes(ref rest, "header value", out var valueIsNull);
        return new RecordHeader(key, value, valueIsNull);
    }

    private static ReadOnlySpan<byte> ReadNullableBytes(scoped ref ReadOnlySpan<byte> rest, string what, out bool isNull)
    {
        var len = Varint.ReadVarInt(ref rest);
        if (len == -1)
        {
            isNull = true;
            return default;
        }
        if (len < -1 || len > rest.Length)
        {
            throw new ProtocolException($"{what} length {len} is invalid with {rest.Length} bytes remaining");
        }
        isNull = false;
        var s = rest.Slice(0, len);
        rest = rest.Slice(len);
        return s;
    }
}
