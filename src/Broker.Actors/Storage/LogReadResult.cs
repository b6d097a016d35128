using System.Buffers;
using Broker.Protocol.Messages;

namespace Broker.Actors.Storage;

/// <summary>
/// Whole batches read from one segment into a pooled buffer, plus the log's offsets at the time of
/// the read. Dispose returns the buffer; do not use <see cref="Records"/> afterwards.
/// </summary>
public sealed class LogReadResult : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal LogReadResult(ErrorCode errorCode, byte[]? buffer, int length, long firstOffset, LogSnapshot snapshot)
    {
        ErrorCode = errorCode;
        _buffer = buffer;
        _length = length;
        FirstOffset = firstOffset;
        HighWatermark = snapshot.HighWatermark;
        LogStartOffset = snapshot.LogStartOffset;
        LogEndOffset = snapshot.LogEndOffset;
    }

    public ErrorCode ErrorCode { get; }
    /// <summary>The base offset of the first batch returned, or -1 when none.</summary>
    public long FirstOffset { get; }
    public long HighWatermark { get; }
    public long LogStartOffset { get; }
    public long LogEndOffset { get; }
    public ReadOnlyMemory<byte> Records => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);
    public int Length => _length;

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>A ListOffsets answer: the offset and the timestamp of the record found (-1, -1 when none).</summary>
public readonly record struct TimestampAndOffset(long Timestamp, long Offset);
