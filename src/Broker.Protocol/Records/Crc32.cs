using System.Buffers.Binary;
using System.Runtime.CompilerServices;

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
        var t = s_table;
        var crc = state;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            var lo = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i)) ^ crc;
            var hi = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i + 4));
            crc = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^
                  t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)] ^
                  t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^
                  t[1 * 256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
        }
        for (; i < data.Length; i++)
        {
            crc = t[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
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
