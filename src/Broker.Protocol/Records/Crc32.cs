using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Broker.Protocol.Records;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as legacy magic v0/v1 messages and gzip
/// trailers use. Slicing-by-8 tables: eight bytes per step with independent lookups.
/// (System.IO.Hashing is not available here.)
/// </summary>
public static class Crc32
{
    private static readonly uint[] s_table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    /// <summary>Continues a running (non-inverted) CRC state over more data.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        // Table and input are read through refs: every index is a byte, or within the length
        // checks below, so the bounds checks the JIT cannot remove on its own are skipped.
        ref var t = ref MemoryMarshal.GetArrayDataReference(s_table);
        ref var p = ref MemoryMarshal.GetReference(data);
        var crc = state;
        nuint i = 0;
        var length = (nuint)data.Length;
        for (; i + 8 <= length; i += 8)
        {
            var lo = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i));
            var hi = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i + 4));
            if (!BitConverter.IsLittleEndian)
            {
                lo = BinaryPrimitives.ReverseEndianness(lo);
                hi = BinaryPrimitives.ReverseEndianness(hi);
            }
            lo ^= crc;
            crc = Unsafe.Add(ref t, 7 * 256 + (lo & 0xFF)) ^ Unsafe.Add(ref t, 6 * 256 + ((lo >> 8) & 0xFF)) ^
                  Unsafe.Add(ref t, 5 * 256 + ((lo >> 16) & 0xFF)) ^ Unsafe.Add(ref t, 4 * 256 + (lo >> 24)) ^
                  Unsafe.Add(ref t, 3 * 256 + (hi & 0xFF)) ^ Unsafe.Add(ref t, 2 * 256 + ((hi >> 8) & 0xFF)) ^
                  Unsafe.Add(ref t, 256 + ((hi >> 16) & 0xFF)) ^ Unsafe.Add(ref t, hi >> 24);
        }
        for (; i < length; i++)
        {
            crc = Unsafe.Add(ref t, (crc ^ Unsafe.Add(ref p, i)) & 0xFF) ^ (crc >> 8);
        }
        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        // table[k][n] = the CRC of byte n followed by k zero bytes.
        for (var k = 1; k < 8; k++)
        {
            for (var n = 0; n < 256; n++)
            {
                var prev = table[(k - 1) * 256 + n];
                table[k * 256 + n] = table[prev & 0xFF] ^ (prev >> 8);
            }
        }
        return table;
    }
}
