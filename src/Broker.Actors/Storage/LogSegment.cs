using Broker.Protocol.Records;
using Microsoft.Win32.SafeHandles;

namespace Broker.Actors.Storage;

/// <summary>
/// One segment of a partition log: <c>&lt;baseOffset&gt;.log</c> holding batches exactly as stored,
/// plus its <see cref="OffsetIndex"/> and <see cref="TimeIndex"/>. One writer (the owning
/// <see cref="Log"/>) appends; readers read below a published size. Readers hold a reference
/// (<see cref="TryAcquire"/>) so deleting a segment never closes a file under a read.
/// </summary>
internal sealed partial class LogSegment
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";
    public const string DeletedSuffix = ".deleted";

    private readonly SafeFileHandle _handle;
    private int _size;
    private int _bytesSinceLastIndexEntry;
    private int _refCount = 1;
    private long _maxTimestampSoFar = -1;
    private long _offsetOfMaxTimestampSoFar = -1;

    private LogSegment(string dir, long baseOffset, SafeFileHandle handle, long createdMs)
    {
        Dir = dir;
        BaseOffset = baseOffset;
        LogPath = Path.Combine(dir, StorageIo.OffsetFileName(baseOffset, LogSuffix));
        _handle = handle;
        OffsetIndex = new OffsetIndex(Path.Combine(dir, StorageIo.OffsetFileName(baseOffset, IndexSuffix)), baseOffset);
        TimeIndex = new TimeIndex(Path.Combine(dir, StorageIo.OffsetFileName(baseOffset, TimeIndexSuffix)), baseOffset);
        NextOffset = baseOffset;
        CreatedMs = createdMs;
    }

    public string Dir { get; }
    public long BaseOffset { get; }
    public string LogPath { get; private set; }
    public OffsetIndex OffsetIndex { get; }
    public TimeIndex TimeIndex { get; }
    internal SafeFileHandle Handle => _handle;

    /// <summary>Bytes of whole batches in the file; readers never read past it.</summary>
    public int Size => Volatile.Read(ref _size);

    /// <summary>The offset after the last batch (writer-side; exact for the active segment).</summary>
    public long NextOffset { get; private set; }

    public long MaxTimestampSoFar => Volatile.Read(ref _maxTimestampSoFar);
    public long OffsetOfMaxTimestampSoFar => Volatile.Read(ref _offsetOfMaxTimestampSoFar);

    /// <summary>The first batch's max timestamp, which segment.ms counts from (-1 until known).</summary>
    public long RollingBasedTimestamp { get; private set; } = -1;
    public long CreatedMs { get; }
    public bool IsDeleted { get; private set; }

    /// <summary>False when an index file was missing or malformed at open (it is rebuilt).</summary>
    public bool IndexesLoaded { get; set; } = true;

    /// <summary>The newest timestamp in the segment, or the file's modification time without any.</summary>
    public long LargestTimestamp
    {
        get
        {
            var ts = MaxTimestampSoFar;
            return ts >= 0 ? ts : new DateTimeOffset(File.GetLastWriteTimeUtc(LogPath)).ToUnixTimeMilliseconds();
        }
    }

    public static LogSegment Create(string dir, long baseOffset, long nowMs)
    {
        var path = Path.Combine(dir, StorageIo.OffsetFileName(baseOffset, LogSuffix));
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var segment = new LogSegment(dir, baseOffset, handle, nowMs);
        File.Delete(segment.OffsetIndex.Path);
        File.Delete(segment.TimeIndex.Path);
        segment.OffsetIndex.Load();
        segment.TimeIndex.Load();
        return segment;
    }

    /// <summary>Opens an existing segment; <paramref name="indexesLoaded"/> is false when an index file is malformed.</summary>
    public static LogSegment Open(string dir, long baseOffset, out bool indexesLoaded)
    {
        var path = Path.Combine(dir, StorageIo.OffsetFileName(baseOffset, LogSuffix));
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var created = new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeMilliseconds();
        var segment = new LogSegment(dir, baseOffset, handle, created);
        var length = RandomAccess.GetLength(handle);
        segment._size = (int)Math.Min(length, int.MaxValue);
        var indexOk = File.Exists(segment.OffsetIndex.Path) && File.Exists(segment.TimeIndex.Path);
        indexOk &= segment.OffsetIndex.Load();
        indexOk &= segment.TimeIndex.Load();
        indexesLoaded = indexOk;
        return segment;
    }

    /// <summary>
    /// Appends batches whose offsets are assigned (ascending, all above <see cref="NextOffset"/>).
    /// Every index.interval.bytes a batch gets an offset index entry (its last offset -> its position).
    /// </summary>
    public void Append(ReadOnlySpan<byte> batches, int indexIntervalBytes)
    {
        var position = _size;
        RandomAccess.Write(_handle, batches, position);
        var offset = 0;
        while (offset < batches.Length && RecordBatch.TryRead(batches.Slice(offset), out var batch, out var size))
        {
            OnBatch(new BatchInfo(position + offset, size, batch.BaseOffset, batch.LastOffset, batch.MaxTimestamp,
                -1, -1, -1, -1, -1, false, false), indexIntervalBytes);
            offset += size;
        }
        Volatile.Write(ref _size, position + batches.Length);
    }

    private void OnBatch(in BatchInfo batch, int indexIntervalBytes)
    {
        if (RollingBasedTimestamp < 0 && batch.Position == 0)
        {
            RollingBasedTimestamp = batch.MaxTimestamp;
        }
        if (batch.MaxTimestamp > _maxTimestampSoFar)
        {
            Volatile.Write(ref _offsetOfMaxTimestampSoFar, batch.LastOffset);
            Volatile.Write(ref _maxTimestampSoFar, batch.MaxTimestamp);
        }
        if (_bytesSinceLastIndexEntry > indexIntervalBytes)
        {
            OffsetIndex.Append(batch.LastOffset, batch.Position);
            TimeIndex.MaybeAppend(_maxTimestampSoFar, _offsetOfMaxTimestampSoFar);
            _bytesSinceLastIndexEntry = 0;
        }
        _bytesSinceLastIndexEntry += batch.Size;
        NextOffset = batch.NextOffset;
    }

    /// <summary>Writes pending index entries; with <paramref name="fsync"/> forces log and indexes to disk.</summary>
    public void Flush(bool fsync)
    {
        if (fsync)
        {
            RandomAccess.FlushToDisk(_handle);
        }
        OffsetIndex.Flush(fsync);
        TimeIndex.Flush(fsync);
    }

    /// <summary>fsyncs the log and index files (index entries must have been written by <see cref="Flush"/>).</summary>
    public void FsyncFiles()
    {
        RandomAccess.FlushToDisk(_handle);
        OffsetIndex.Fsync();
        TimeIndex.Fsync();
    }

    /// <summary>On roll: a final time index entry so the segment's largest timestamp survives a restart.</summary>
    public void OnBecomeInactive()
    {
        if (_maxTimestampSoFar >= 0)
        {
            TimeIndex.MaybeAppend(_maxTimestampSoFar, _offsetOfMaxTimestampSoFar);
        }
        Flush(fsync: false);
    }

    public bool TryAcquire()
    {
        while (true)
        {
            var count = Volatile.Read(ref _refCount);
            if (count <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _refCount, count + 1, count) == count)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refCount) == 0)
        {
            _handle.Dispose();
            OffsetIndex.Dispose();
            TimeIndex.Dispose();
        }
    }

    /// <summary>Closes the owner's reference (shutdown); files stay.</summary>
    public void Close()
    {
        Flush(fsync: false);
        Release();
    }

    /// <summary>
    /// Deletes the segment: files are renamed to <c>.deleted</c> at once (recovery removes leftovers)
    /// and removed after <paramref name="delayMs"/>; handles close when the last reader releases.
    /// </summary>
    public void Delete(long delayMs)
    {
        IsDeleted = true;
        var files = new List<string>(3);
        foreach (var path in new[] { LogPath, OffsetIndex.Path, TimeIndex.Path })
        {
            if (File.Exists(path))
            {
                var deleted = path + DeletedSuffix;
                File.Move(path, deleted, overwrite: true);
                files.Add(deleted);
            }
        }
        Release();
        if (delayMs <= 0)
        {
            DeleteFiles(files);
        }
        else
        {
            _ = Task.Delay(TimeSpan.FromMilliseconds(delayMs)).ContinueWith(_ => DeleteFiles(files), TaskScheduler.Default);
        }
    }

    private static void DeleteFiles(List<string> files)
    {
        foreach (var f in files)
        {
            try
            {
                File.Delete(f);
            }
            catch (IOException)
            {
                // Best effort: a leftover .deleted file is removed when the log is next opened.
            }
        }
    }

    public override string ToString() => $"LogSegment(base={BaseOffset}, size={Size})";
}
