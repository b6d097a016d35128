namespace Broker.Protocol.Records;

/// <summary>
/// A view of one v2 record inside a batch's (uncompressed) records section:
/// length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
/// keyLength varint | key | valueLength varint | value | headerCount varint | headers.
/// Key and value are slices of the batch; a null key or value (length -1) has <see cref="KeyIsNull"/>
/// / <see cref="ValueIsNull"/> set and an empty span. Produced by <see cref="RecordEnumerator"/>,
/// which has already checked every length, so reading a record's fields cannot fail.
/// </summary>
public readonly ref struct Record
{
    internal Record(int length, sbyte attributes, long timestampDelta, int offsetDelta,
        ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull,
        int headerCount, ReadOnlySpan<byte> headers)
    {
        Length = length;
        Attributes = attributes;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Key = key;
        KeyIsNull = keyIsNull;
        Value = value;
        ValueIsNull = valueIsNull;
        HeaderCount = headerCount;
        HeadersBytes = headers;
    }

    /// <summary>The record's length field: the bytes after the length varint.</summary>
    public int Length { get; }
    public sbyte Attributes { get; }
    public long TimestampDelta { get; }
    public int OffsetDelta { get; }
    public ReadOnlySpan<byte> Key { get; }
    public bool KeyIsNull { get; }
    public ReadOnlySpan<byte> Value { get; }
    public bool ValueIsNull { get; }
    public int HeaderCount { get; }
    /// <summary>The encoded headers (after the count varint), already validated.</summary>
    public ReadOnlySpan<byte> HeadersBytes { get; }

    /// <summary>The record's size on the wire, including its length varint.</summary>
    public int SizeInBytes => Varint.SizeOfVarInt(Length) + Length;

    public RecordHeaderEnumerator Headers => new(HeadersBytes, HeaderCount);
}

/// <summary>One record header: the key is UTF-8 bytes (never null), the value may be null.</summary>
public readonly ref struct RecordHeader
{
    internal RecordHeader(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool valueIsNull)
    {
        Key = key;
        Value = value;
        ValueIsNull = valueIsNull;
    }

    public ReadOnlySpan<byte> Key { get; }
    public ReadOnlySpan<byte> Value { get; }
    public bool ValueIsNull { get; }
}

/// <summary>Enumerates headers a <see cref="RecordEnumerator"/> has already validated.</summary>
public ref struct RecordHeaderEnumerator
{
    private ReadOnlySpan<byte> _rest;
    private int _remaining;
    private RecordHeader _current;

    internal RecordHeaderEnumerator(ReadOnlySpan<byte> headers, int count)
    {
        _rest = headers;
        _remaining = count;
        _current = default;
    }

    public readonly RecordHeaderEnumerator GetEnumerator() => this;

    public readonly RecordHeader Current => _current;

    public bool MoveNext()
    {
        if (_remaining == 0)
        {
            return false;
        }
        _remaining--;
        _current = RecordParser.ReadHeader(ref _rest);
        return true;
    }
}
