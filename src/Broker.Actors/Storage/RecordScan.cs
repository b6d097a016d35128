using Broker.Protocol.Records;

namespace Broker.Actors.Storage;

/// <summary>
/// Minimal walk over an uncompressed v2 batch's records for timestamp lookups: each record is
/// length varint, attributes int8, timestampDelta varlong, offsetDelta varint, then the rest.
/// </summary>
internal static class RecordScan
{
    public static TimestampAndOffset FirstAtOrAfter(RecordBatch batch, long timestamp)
    {
        var records = batch.RecordsBytes;
        var pos = 0;
        for (var i = 0; i < batch.RecordCount; i++)
        {
            if (!TryReadVarLong(records, ref pos, out var length) || length < 0 || pos + length > records.Length)
            {
                break;
            }
            var recordEnd = pos + (int)length;
            var p = pos + 1;
            if (!TryReadVarLong(records, ref p, out var tsDelta) || !TryReadVarLong(records, ref p, out var offsetDelta))
            {
                break;
            }
            if (batch.BaseTimestamp + tsDelta >= timestamp)
            {
                return new TimestampAndOffset(batch.BaseTimestamp + tsDelta, batch.BaseOffset + offsetDelta);
            }
            pos = recordEnd;
        }
        return new TimestampAndOffset(batch.MaxTimestamp, batch.BaseOffset);
    }

    /// <summary>Zig-zag varint as Kafka records use.</summary>
    private static bool TryReadVarLong(ReadOnlySpan<byte> span, ref int pos, out long value)
    {
        ulong raw = 0;
        var shift = 0;
        while (pos < span.Length && shift < 64)
        {
            var b = span[pos++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                return true;
            }
            shift += 7;
        }
        value = 0;
        return false;
    }
}
