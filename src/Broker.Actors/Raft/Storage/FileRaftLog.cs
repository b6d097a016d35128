using System.Globalization;
using Broker.Actors.Storage;
using Broker.Protocol.Records;

namespace Broker.Actors.Raft.Storage;

/// <summary>
/// The <c>__cluster_metadata-0</c> log on disk for the Raft core. One segment file
/// <c>&lt;logStart:D20&gt;.log</c> of v2 batches (one per entry, <see cref="RaftRecordCodec"/>) and the latest
/// snapshot <c>&lt;endOffset:D20&gt;-&lt;epoch:D10&gt;.checkpoint</c>, as Kafka names them. Entries are also kept in
/// memory (the metadata log is small and snapshots bound it), so reads and epoch lookups never touch the
/// disk. Appends are written through to the file and fsynced by <see cref="Flush"/>; truncations and
/// snapshots are fsynced before they return, as <see cref="IRaftLog"/> requires. Opening recovers a torn
/// tail (a batch cut short or failing its CRC ends the log) and any crash between the steps of a snapshot.
/// </summary>
public sealed partial class FileRaftLog : IRaftLog, IDisposable
{
    public const string SegmentSuffix = ".log";
    public const string SnapshotSuffix = ".checkpoint";

    private readonly string _dir;
    private readonly List<RaftEntry> _entries = new();
    // File position where each entry's batch starts; _positions[i] belongs to _entries[i].
    private readonly List<long> _positions = new();
    private readonly RecordBatchBuilder _builder = new(initialCapacity: 4096);
    private readonly PooledBufferWriter _scratch = new(4096);
    private FileStream _segment = null!;
    private long _startOffset;
    private long _flushedEnd;
    private RaftSnapshot? _snapshot;

    private FileRaftLog(string dir) => _dir = dir;

    /// <summary>The directory holding the segment and snapshots.</summary>
    public string Directory => _dir;

    /// <summary>Bytes cut off the segment's tail by recovery when it was opened (0 after a clean stop).</summary>
    public long RecoveredTornBytes { get; private set; }

    public long LogStartOffset => _startOffset;

    public long EndOffset => _startOffset + _entries.Count;

    public long FlushedEndOffset => _flushedEnd;

    public int LastEpoch => _entries.Count > 0 ? _entries[^1].Epoch : _snapshot?.Id.Epoch ?? 0;

    public RaftSnapshot? LatestSnapshot => _snapshot;

    public void Append(in RaftEntry entry)
    {
        RaftEntries.CheckAppend(entry, EndOffset, LastEpoch);
        _scratch.Clear();
        RaftRecordCodec.Write(entry, _builder, _scratch);
        var position = _segment.Position;
        _segment.Write(_scratch.WrittenSpan);
        // Keep our own copy of the value: the caller's buffer (a fetch response) is not ours to hold.
        _entries.Add(entry with { Value = entry.Value.ToArray() });
        _positions.Add(position);
    }

    public RaftEntry Read(long offset) =>
        RaftEntries.Read(_entries, _startOffset, offset);

    public int Read(long fromOffset, Span<RaftEntry> destination) =>
        RaftEntries.Read(_entries, _startOffset, fromOffset, destination);

    public void TruncateTo(long endOffset)
    {
        if (endOffset >= EndOffset)
        {
            return;
        }
        if (endOffset < _startOffset)
        {
            throw new InvalidOperationException($"truncate to {endOffset} below log start {_startOffset}");
        }
        var index = (int)(endOffset - _startOffset);
        var position = _positions[index];
        _segment.Flush();
        _segment.SetLength(position);
        _segment.Position = position;
        _segment.Flush(flushToDisk: true);
        _entries.RemoveRange(index, _entries.Count - index);
        _positions.RemoveRange(index, _positions.Count - index);
        _flushedEnd = Math.Min(_flushedEnd, endOffset);
    }

    public OffsetAndEpoch EndOffsetForEpoch(int epoch) =>
        RaftEntries.EndOffsetForEpoch(_entries, _startOffset, epoch, _snapshot?.Id.Epoch ?? 0);

    public void Flush()
    {
        if (_flushedEnd == EndOffset)
        {
            return;
        }
        _segment.Flush(flushToDisk: true);
        _flushedEnd = EndOffset;
    }

    public void Dispose()
    {
        _segment?.Flush(flushToDisk: true);
        _segment?.Dispose();
        _builder.Dispose();
        _scratch.Dispose();
    }

    internal static string SnapshotFileName(OffsetAndEpoch id) =>
        id.Offset.ToString("D20", CultureInfo.InvariantCulture) + "-" + id.Epoch.ToString("D10", CultureInfo.InvariantCulture) + SnapshotSuffix;

    internal static bool TryParseSnapshotFileName(string name, out OffsetAndEpoch id)
    {
        id = default;
        if (name.Length != 20 + 1 + 10 + SnapshotSuffix.Length || !name.EndsWith(SnapshotSuffix, StringComparison.Ordinal) || name[20] != '-')
        {
            return false;
        }
        if (!long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            || !int.TryParse(name.AsSpan(21, 10), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
        {
            return false;
        }
        id = new OffsetAndEpoch(offset, epoch);
        return true;
    }

    private string SegmentPath(long baseOffset) => Path.Combine(_dir, StorageIo.OffsetFileName(baseOffset, SegmentSuffix));
}
