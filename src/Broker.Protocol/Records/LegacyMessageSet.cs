using System.Buffers;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records.Compression;

namespace Broker.Protocol.Records;

/// <summary>
/// Legacy (magic 0 and 1) message sets, as Produce v0-v2 carries them: detection and conversion to
/// one magic v2 batch, the only format the log stores.
/// </summary>
public static class LegacyMessageSet
{
    /// <summary>True when the records start with a legacy message (magic 0 or 1) rather than a v2 batch.</summary>
    public static bool IsLegacy(ReadOnlySpan<byte> records) => records.Length > 16 && records[16] < 2;

    /// <summary>
    /// Converts a message set to one v2 batch written to <paramref name="destination"/>, expanding
    /// compressed wrappers. Every message's CRC is checked. The batch keeps the messages' order,
    /// keys, values and (magic 1) timestamps, numbers them from the first message's offset, and is
    /// compressed with <paramref name="compression"/> (by default, the first wrapper's codec).
    /// Returns the number of records. Corruption is a <see cref="ProtocolException"/>.
    /// </summary>
    public static int ConvertToV2(ReadOnlySpan<byte> messageSet, IBufferWriter<byte> destination,
        CompressionType? compression = null, int maxDecompressedBytes = CompressionCodecs.DefaultMaxDecompressedBytes)
    {
        using var builder = new RecordBatchBuilder(CompressionType.None, Math.Max(1024, messageSet.Length * 2));
        using var scratch = new PooledBufferWriter(Math.Max(1024, messageSet.Length * 4));
        var sourceCompression = CompressionType.None;
        var first = true;
        var decompressed = 0;
        foreach (var message in new LegacyMessageEnumerator(messageSet))
        {
            CheckCrc(message);
            if (message.Compression == CompressionType.None)
            {
                if (first)
                {
                    builder.BaseOffset = message.Offset;
                    first = false;
                }
                Append(builder, message, message.Timestamp);
                continue;
            }
            if (!CompressionCodecs.IsKnown(message.Compression))
            {
                throw new ProtocolException($"unknown compression type id {(int)message.Compression}");
            }
            if (message.ValueIsNull)
            {
                throw new ProtocolException("compressed wrapper message without a value");
            }
            if (sourceCompression == CompressionType.None)
            {
                sourceCompression = message.Compression;
            }
            scratch.Clear();
            decompressed += CompressionCodecs.Get(message.Compression).Decompress(message.Value, scratch, maxDecompressedBytes - decompressed);
            var innerCount = 0;
            foreach (var inner in new LegacyMessageEnumerator(scratch.WrittenSpan))
            {
                CheckCrc(inner);
                if (inner.Compression != CompressionType.None)
                {
                    throw new ProtocolException("nested compressed message");
                }
                if (first)
                {
                    // Magic 1 wrappers carry the absolute offset of their last inner message and
                    // relative inner offsets; magic 0 inner offsets are absolute.
                    builder.BaseOffset = message.Magic == 0 ? inner.Offset : message.Offset - LastInnerOffset(scratch.WrittenSpan) + inner.Offset;
                    first = false;
                }
                // LogAppendTime wrappers stamp every inner message with the wrapper's time.
                Append(builder, inner, message.IsLogAppendTime ? message.Timestamp : inner.Timestamp);
                innerCount++;
            }
            if (innerCount == 0)
            {
                throw new ProtocolException("compressed wrapper message holds no messages");
            }
        }
        if (builder.Count == 0)
        {
            throw new ProtocolException("empty message set");
        }
        builder.Compression = compression ?? sourceCompression;
        builder.WriteTo(destination);
        return builder.Count;
    }

    private static void CheckCrc(LegacyMessage message)
    {
        if (!message.IsCrcValid)
        {
            throw new ProtocolException($"message at offset {message.Offset} fails its CRC ({message.Crc:x8} vs {message.ComputeCrc():x8})");
        }
    }

    private static long LastInnerOffset(ReadOnlySpan<byte> inner)
    {
        var last = 0L;
        foreach (var m in new LegacyMessageEnumerator(inner))
        {
            last = m.Offset;
        }
        return last;
    }

    private static void Append(RecordBatchBuilder builder, LegacyMessage message, long timestamp) =>
        builder.Append(timestamp, message.Key, message.KeyIsNull, message.Value, message.ValueIsNull, default);
}
