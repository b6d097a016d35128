using Broker.Actors.Storage;

namespace Broker.Actors.Raft.Storage;

// Opening the log: the latest complete snapshot, then the newest segment read batch by batch until the
// first one that is cut short, fails its CRC or breaks the offset/epoch order (a torn tail from a crash
// mid-write), which is cut off durably before anything is appended after it.
public sealed partial class FileRaftLog
{
    /// <summary>Opens (creating if needed) the log in <paramref name="dir"/>, recovering from any crash.</summary>
    public static FileRaftLog Open(string dir)
    {
        System.IO.Directory.CreateDirectory(dir);
        var log = new FileRaftLog(dir);
        try
        {
            log.Recover();
            return log;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    private void Recover()
    {
        foreach (var tmp in System.IO.Directory.GetFiles(_dir, "*.tmp"))
        {
            File.Delete(tmp); // a snapshot or segment rewrite that never got renamed
        }
        _snapshot = LoadLatestSnapshot();
        var segments = new List<long>();
        foreach (var path in System.IO.Directory.GetFiles(_dir, "*" + SegmentSuffix))
        {
            if (StorageIo.TryParseOffsetFileName(Path.GetFileName(path), SegmentSuffix, out var baseOffset))
            {
                segments.Add(baseOffset);
            }
        }
        segments.Sort();
        var snapshotEnd = _snapshot?.Id.Offset ?? 0;
        // The newest segment is the log; older ones are leftovers of a rewrite that crashed before deleting them.
        var baseOffsetOnDisk = segments.Count > 0 ? segments[^1] : snapshotEnd;
        for (var i = 0; i < segments.Count - 1; i++)
        {
            File.Delete(SegmentPath(segments[i]));
        }
        var entries = new List<RaftEntry>();
        var validBytes = 0L;
        long fileLength = 0;
        if (segments.Count > 0)
        {
            var bytes = File.ReadAllBytes(SegmentPath(baseOffsetOnDisk));
            fileLength = bytes.Length;
            var memory = (ReadOnlyMemory<byte>)bytes;
            var expected = baseOffsetOnDisk;
            var lastEpoch = 0;
            while (validBytes < bytes.Length && RaftRecordCodec.TryRead(memory[(int)validBytes..], out var entry, out var size)
                   && entry.Offset == expected && entry.Epoch >= lastEpoch)
            {
                entries.Add(entry);
                validBytes += size;
                expected++;
                lastEpoch = entry.Epoch;
            }
        }
        RecoveredTornBytes = fileLength - validBytes;

        // Which entries the log keeps: those at or above the snapshot end. When the segment starts below the
        // snapshot, a crash interrupted CreateSnapshot (entries above it are ours: keep them if the entry just
        // below the snapshot agrees with it) or InstallSnapshot (the log was replaced: keep nothing).
        var keepFrom = 0;
        var startOffset = baseOffsetOnDisk;
        if (_snapshot is { } snapshot && baseOffsetOnDisk < snapshot.Id.Offset)
        {
            var below = (int)(snapshot.Id.Offset - 1 - baseOffsetOnDisk);
            var consistent = below < entries.Count && entries[below].Epoch == snapshot.Id.Epoch;
            keepFrom = consistent ? below + 1 : entries.Count;
            startOffset = snapshot.Id.Offset;
        }
        else if (baseOffsetOnDisk > snapshotEnd)
        {
            throw new InvalidDataException($"{_dir}: segment starts at {baseOffsetOnDisk} but the snapshot ends at {snapshotEnd}");
        }

        if (segments.Count > 0 && keepFrom == 0 && startOffset == baseOffsetOnDisk)
        {
            // The usual case: continue the segment after its last whole batch.
            _segment = new FileStream(SegmentPath(baseOffsetOnDisk), FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 64 * 1024);
            if (RecoveredTornBytes > 0)
            {
                _segment.SetLength(validBytes);
                _segment.Flush(flushToDisk: true);
            }
            _segment.Position = validBytes;
            _startOffset = startOffset;
            long position = 0;
            foreach (var entry in entries)
            {
                _entries.Add(entry);
                _positions.Add(position);
                position += EncodedSize(entry);
            }
        }
        else
        {
            RewriteSegment(startOffset, entries.GetRange(keepFrom, entries.Count - keepFrom));
        }
        _flushedEnd = EndOffset;
    }

    private RaftSnapshot? LoadLatestSnapshot()
    {
        var ids = new List<OffsetAndEpoch>();
        foreach (var path in System.IO.Directory.GetFiles(_dir, "*" + SnapshotSuffix))
        {
            if (TryParseSnapshotFileName(Path.GetFileName(path), out var id))
            {
                ids.Add(id);
            }
        }
        if (ids.Count == 0)
        {
            return null;
        }
        ids.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        var latest = ids[^1];
        foreach (var older in ids)
        {
            if (older != latest)
            {
                File.Delete(Path.Combine(_dir, SnapshotFileName(older)));
            }
        }
        // Snapshots are written to a temp file, fsynced and renamed: one that has its name is complete.
        return new RaftSnapshot(latest, File.ReadAllBytes(Path.Combine(_dir, SnapshotFileName(latest))));
    }

    private int EncodedSize(in RaftEntry entry)
    {
        _scratch.Clear();
        return Broker.Actors.Raft.Storage.RaftRecordCodec.Write(entry, _builder, _scratch);
    }
}
