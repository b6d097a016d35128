using System.Numerics;
using System.Text;

namespace Broker.Protocol.Primitives;

/// <summary>Encoded sizes of Kafka's primitive types, for size-first writing.</summary>
public static class KafkaEncoding
{
    public static int SizeOfUnsignedVarInt(uint v) => UVarIntSize(v);

    private static int UVarIntSize(uint v)
    {
        var bits = 32 - BitOperations.LeadingZeroCount(v | 1);
        return (bits + 6) / 7;
    }

    public static int SizeOfUnsignedVarLong(ulong v)
    {
        var bits = 64 - BitOperations.LeadingZeroCount(v | 1);
        return (bits + 6) / 7;
    }

    public static int SizeOfVarInt(int v) => UVarIntSize((uint)((v << 1) ^ (v >> 31)));
    public static int SizeOfVarLong(long v) => SizeOfUnsignedVarLong((ulong)((v << 1) ^ (v >> 63)));

    public static int SizeOfString(string v) => 2 + Encoding.UTF8.GetByteCount(v);
    public static int SizeOfNullableString(string? v) => v is null ? 2 : SizeOfString(v);

    public static int SizeOfCompactNullableString(string? v)
    {
        if (v is null)
        {
            return 1;
        }
        var n = Encoding.UTF8.GetByteCount(v);
        return UVarIntSize((uint)n + 1) + n;
    }

    public static int SizeOfCompactString(string v) => SizeOfCompactNullableString(v);

    public static int SizeOfBytes(int length) => 4 + length;
    public static int SizeOfNullableBytes(ReadOnlyMemory<byte>? v) => v is null ? 4 : 4 + v.Value.Length;
    public static int SizeOfCompactBytes(int length) => UVarIntSize((uint)length + 1) + length;
    public static int SizeOfCompactNullableBytes(ReadOnlyMemory<byte>? v) => v is null ? 1 : SizeOfCompactBytes(v.Value.Length);
    public static int SizeOfCompactArrayCount(int count) => UVarIntSize((uint)(count + 1));

    // Overloads taking `compact`, for generated code (see KafkaReader).

    public static int SizeOfString(string v, bool compact) => compact ? SizeOfCompactString(v) : SizeOfString(v);
    public static int SizeOfNullableString(string? v, bool compact) => compact ? SizeOfCompactNullableString(v) : SizeOfNullableString(v);
    public static int SizeOfBytes(int length, bool compact) => compact ? SizeOfCompactBytes(length) : SizeOfBytes(length);
    public static int SizeOfNullableBytes(ReadOnlyMemory<byte>? v, bool compact) => compact ? SizeOfCompactNullableBytes(v) : SizeOfNullableBytes(v);

    /// <summary>Size of an array count in either encoding; pass -1 for a null array.</summary>
    public static int SizeOfArrayCount(int count, bool compact) => compact ? SizeOfCompactArrayCount(count) : 4;
}
