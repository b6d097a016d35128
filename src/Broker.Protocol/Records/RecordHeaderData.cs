using System.Text;

namespace Broker.Protocol.Records;

/// <summary>A header to write with <see cref="RecordBatchBuilder"/>: UTF-8 key bytes and a nullable value.</summary>
public readonly struct RecordHeaderData
{
    public RecordHeaderData(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, bool valueIsNull = false)
    {
        Key = key;
        Value = valueIsNull ? default : value;
        ValueIsNull = valueIsNull;
    }

    /// <summary>Convenience for tests and tools: encodes the key (allocates).</summary>
    public RecordHeaderData(string key, byte[]? value)
        : this(Encoding.UTF8.GetBytes(key), value ?? default(ReadOnlyMemory<byte>), value is null)
    {
    }

    public ReadOnlyMemory<byte> Key { get; }
    public ReadOnlyMemory<byte> Value { get; }
    public bool ValueIsNull { get; }

    internal int EncodedSize =>
        Varint.SizeOfVarInt(Key.Length) + Key.Length +
        (ValueIsNull ? 1 : Varint.SizeOfVarInt(Value.Length) + Value.Length);
}
