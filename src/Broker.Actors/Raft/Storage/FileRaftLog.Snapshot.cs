using Broker.Actors.Storage;

namespace Broker.Actors.Raft.Storage;

// Snapshots: the checkpoint file is written atomically first, then the segment is rewritten to start at
// its end offset (temp file, fsync, rename) and the old one deleted. Recovery handles a crash between
// any two of these steps (see FileRaftLog.Recovery.cs).
public sealed partial class FileRaftLog
{
    public void CreateSnapshot(RaftSnapshot snapshot)
    {
        var end = snapshot.Id.Offset;
        if (end <= _startOffset || end > EndOffset)
        {
            throw new InvalidOperationException($"snapshot end {end} outside ({_startOffset}, {EndOffset}]");
        }
        if (Read(end - 1).Epoch != snapshot.Id.Epoch)
        {
            throw new InvalidOperationException($"snapshot epoch {snapshot.Id.Epoch} does not match entry {end - 1}");
        }
        Flush();
        WriteSnapshotFile(snapshot);
        var keep = _entries.GetRange((int)(end - _startOffset), (int)(EndOffset - end));
        RewriteSegment(end, keep);
    }

    public void InstallSnapshot(RaftSnapshot snapshot)
    {
        WriteSnapshotFile(snapshot);
        RewriteSegment(snapshot.Id.Offset, []);
    }

    private void WriteSnapshotFile(RaftSnapshot snapshot)
    {
        var previous = _snapshot;
        StorageIo.WriteAtomically(Path.Combine(_dir, SnapshotFileName(snapshot.Id)), snapshot.Data.Span);
        _snapshot = snapshot with { Data = snapshot.Data.ToArray() };
        if (previous is not null && previous.Id != snapshot.Id)
        {
            File.Delete(Path.Combine(_dir, SnapshotFileName(previous.Id)));
        }
    }

    /// <summary>Replaces the segment by one starting at <paramref name="startOffset"/> holding <paramref name="entries"/>.</summary>
    private void RewriteSegment(long startOffset, List<RaftEntry> entries)
    {
        var path = SegmentPath(startOffset);
        var tmp = path + ".tmp";
        var positions = new List<long>(entries.Count);
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            foreach (var entry in entries)
            {
                positions.Add(file.Position);
                _scratch.Clear();
                RaftRecordCodec.Write(entry, _builder, _scratch);
                file.Write(_scratch.WrittenSpan);
            }
            file.Flush(flushToDisk: true);
        }
        var old = _segment;
        old?.Dispose();
        File.Move(tmp, path, overwrite: true);
        foreach (var other in System.IO.Directory.GetFiles(_dir, "*" + SegmentSuffix))
        {
            if (Path.GetFileName(other) != Path.GetFileName(path))
            {
                File.Delete(other);
            }
        }
        _segment = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 64 * 1024);
        _segment.Position = _segment.Length;
        _entries.Clear();
        _entries.AddRange(entries);
        _positions.Clear();
        _positions.AddRange(positions);
        _startOffset = startOffset;
        _flushedEnd = EndOffset;
    }
}
