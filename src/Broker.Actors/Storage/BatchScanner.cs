using System.Buffers.Binary;
using System.Buffers;
using Broker.Protocol.Records;
using Microsoft.Win32.SafeHandles;

namespace Broker.Actors.Storage;

/// <summary>The header fields of one stored batch and where it sits in its segment file.</summary>
internal readonly record struct BatchInfo(
    int Position,
    int Size,
    long BaseOffset,
    long LastOffset,
    long MaxTimestamp,
    long ProducerId,
    short ProducerEpoch,
    int BaseSequence,
    int LastSequence,
    int PartitionLeaderEpoch,
    bool IsTransactional,
    bool IsControl)
{
    public long NextOffset => LastOffset + 1;

    public static BatchInfo From(RecordBatch b, int position) => new(
        position, b.TotalSize, b.BaseOffset, b.LastOffset, b.MaxTimestamp, b.ProducerId, b.ProducerEpoch,
        b.BaseSequence, b.LastSequence, b.PartitionLeaderEpoch, b.IsTransactional, b.IsControl);
}

internal enum ScanStatus
{
    Batch,
    /// <summary>The clean end of the range.</summary>
    End,
    /// <summary>The range ends inside a batch (a torn write).</summary>
    Torn,
    /// <summary>A batch with an impossible length, wrong magic or a bad CRC.</summary>
    Corrupt,
}

/// <summary>
/// Walks the batches of a segment file range through a pooled read buffer (a few large reads
/// instead of one per batch). With <c>validate</c>, every batch's CRC is checked (recovery).
/// </summary>
internal sealed class BatchScanner : IDisposable
{
    private const int ChunkSize = 64 * 1024;
    private readonly SafeFileHandle _handle;
    private readonly long _end;
    private readonly bool _validate;
    private readonly int _maxBatchSize;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;

    public BatchScanner(SafeFileHandle handle, long start, long end, bool validate, int maxBatchSize = int.MaxValue, int chunkSize = ChunkSize)
    {
        _handle = handle;
        Position = start;
        _end = end;
        _validate = validate;
        _maxBatchSize = maxBatchSize;
        _buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
    }

    /// <summary>The file position of the next batch (after a failure: of the bad batch).</summary>
    public long Position { get; private set; }

    public ScanStatus Next(out BatchInfo info)
    {
        info = default;
        if (Position >= _end)
        {
            return ScanStatus.End;
        }
        if (_end - Position < RecordBatch.HeaderSize)
        {
            return ScanStatus.Torn;
        }
        if (!Ensure(RecordBatch.HeaderSize))
        {
            return ScanStatus.Torn;
        }
        var header = Current(RecordBatch.HeaderSize);
        var length = BinaryPrimitives.ReadInt32BigEndian(header.Slice(8));
        if (length < RecordBatch.HeaderSize - RecordBatch.LogOverhead || length > _maxBatchSize)
        {
            return ScanStatus.Corrupt;
        }
        var size = RecordBatch.LogOverhead + length;
        if (header[RecordBatch.MagicOffset] != 2)
        {
            return ScanStatus.Corrupt;
        }
        if (_end - Position < size)
        {
            return ScanStatus.Torn;
        }
        if (_validate)
        {
            if (!Ensure(size))
            {
                return ScanStatus.Torn;
            }
            var batch = new RecordBatch(Current(size));
            if (!batch.IsCrcValid || batch.LastOffsetDelta < 0)
            {
                return ScanStatus.Corrupt;
            }
            // Ensure may have refilled the buffer (a batch across a chunk boundary): the old header span now
            // shows other bytes, and a wrong last offset made recovery cut acknowledged batches after it.
            header = Current(RecordBatch.HeaderSize);
        }
        var view = new RecordBatch(Current(RecordBatch.HeaderSize));
        info = new BatchInfo(
            (int)Position, size, view.BaseOffset, view.BaseOffset + BinaryPrimitives.ReadInt32BigEndian(header.Slice(RecordBatch.LastOffsetDeltaOffset)),
            view.MaxTimestamp, view.ProducerId, view.ProducerEpoch, view.BaseSequence,
            LastSequenceOf(view.BaseSequence, BinaryPrimitives.ReadInt32BigEndian(header.Slice(RecordBatch.LastOffsetDeltaOffset))),
            view.PartitionLeaderEpoch, view.IsTransactional, view.IsControl);
        Position += size;
        return ScanStatus.Batch;
    }

    private static int LastSequenceOf(int baseSequence, int lastOffsetDelta) =>
        baseSequence < 0 ? -1 : (int)(((long)baseSequence + lastOffsetDelta) % ((long)int.MaxValue + 1));

    private ReadOnlySpan<byte> Current(int length) =>
        _buffer.AsSpan((int)(Position - _bufferStart), length);

    /// <summary>Makes [Position, Position + length) available in the buffer.</summary>
    private bool Ensure(int length)
    {
        if (Position >= _bufferStart && Position + length <= _bufferStart + _bufferLength)
        {
            return true;
        }
        if (_buffer.Length < length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(length);
        }
        _bufferStart = Position;
        var want = (int)Math.Min(_buffer.Length, _end - Position);
        _bufferLength = StorageIo.ReadFully(_handle, _buffer.AsSpan(0, want), Position);
        return _bufferLength >= length;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
