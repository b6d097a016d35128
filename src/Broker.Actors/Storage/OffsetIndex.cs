using System.Buffers.Binary;
using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Broker.Actors.Storage;

/// <summary>
/// A segment's sparse offset index (<c>.index</c>): entries of relative offset int32 + file position
/// int32, big-endian, as Kafka writes them. The entry for a batch maps its last offset to its start
/// position, so the floor entry of a target offset is a safe place to start scanning.
/// Entries live in memory for lock-free lookups; new entries reach the file on <see cref="Flush"/>
/// (an index is rebuilt from the log whenever it is found short or inconsistent).
/// </summary>
internal sealed class OffsetIndex : IDisposable
{
    public const int EntrySize = 8;

    private readonly PublishedList<long> _entries = new(64);
    private SafeFileHandle? _handle;
    private int _persisted;

    public OffsetIndex(string path, long baseOffset)
    {
        Path = path;
        BaseOffset = baseOffset;
    }

    public string Path { get; private set; }
    public long BaseOffset { get; }
    public int Count => _entries.Count;

    /// <summary>Loads the file; returns false (and starts empty) when its length is not whole entries.</summary>
    public bool Load()
    {
        _handle = File.OpenHandle(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(_handle);
        if (length % EntrySize != 0 || length > int.MaxValue)
        {
            return false;
        }
        var bytes = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
        try
        {
            var read = StorageIo.ReadFully(_handle, bytes.AsSpan(0, (int)length), 0);
            for (var i = 0; i + EntrySize <= read; i += EntrySize)
            {
                var rel = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i));
                var pos = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i + 4));
                _entries.Add(Pack(rel, pos));
            }
            _persisted = _entries.Count;
            return read == length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Entries strictly increasing in offset and position, and within the log file.</summary>
    public bool IsSane(long logSize)
    {
        var view = _entries.View;
        long prevRel = -1, prevPos = -1;
        foreach (var e in view)
        {
            var rel = RelativeOffset(e);
            var pos = Position(e);
            if (rel <= prevRel || pos <= prevPos || pos >= logSize)
            {
                return false;
            }
            prevRel = rel;
            prevPos = pos;
        }
        return true;
    }

    public long LastOffset
    {
        get
        {
            var view = _entries.View;
            return view.Length == 0 ? BaseOffset : BaseOffset + RelativeOffset(view[^1]);
        }
    }

    public void Append(long offset, int position)
    {
        var view = _entries.View;
        var rel = (int)(offset - BaseOffset);
        if (view.Length > 0 && (rel <= RelativeOffset(view[^1]) || position <= Position(view[^1])))
        {
            return;
        }
        _entries.Add(Pack(rel, position));
    }

    /// <summary>The position of the largest entry with offset &lt;= target (0 when there is none).</summary>
    public int LookupPosition(long targetOffset)
    {
        var view = _entries.View;
        var rel = targetOffset - BaseOffset;
        int lo = 0, hi = view.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (RelativeOffset(view[mid]) <= rel)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : Position(view[found]);
    }

    /// <summary>The last entry's position (0 when empty): where a scan for the end of the log starts.</summary>
    public int LastPosition
    {
        get
        {
            var view = _entries.View;
            return view.Length == 0 ? 0 : Position(view[^1]);
        }
    }

    /// <summary>Drops entries for offsets &gt;= <paramref name="offset"/>.</summary>
    public void TruncateTo(long offset)
    {
        var view = _entries.View;
        var keep = view.Length;
        while (keep > 0 && BaseOffset + RelativeOffset(view[keep - 1]) >= offset)
        {
            keep--;
        }
        TruncateEntries(keep);
    }

    /// <summary>Drops entries pointing at or past <paramref name="position"/>.</summary>
    public void TruncateToPosition(int position)
    {
        var view = _entries.View;
        var keep = view.Length;
        while (keep > 0 && Position(view[keep - 1]) >= position)
        {
            keep--;
        }
        TruncateEntries(keep);
    }

    /// <summary>Empties the index and its file (before a rebuild).</summary>
    public void Reset()
    {
        _entries.Clear();
        _persisted = 0;
        RandomAccess.SetLength(Handle, 0);
    }

    private void TruncateEntries(int keep)
    {
        if (keep >= _entries.Count)
        {
            return;
        }
        _entries.TruncateTo(keep);
        if (_persisted > keep)
        {
            _persisted = keep;
            RandomAccess.SetLength(Handle, (long)keep * EntrySize);
        }
    }

    /// <summary>Writes entries added since the last flush; fsyncs when asked.</summary>
    public void Flush(bool fsync)
    {
        var view = _entries.View;
        if (view.Length > _persisted)
        {
            var n = view.Length - _persisted;
            var bytes = ArrayPool<byte>.Shared.Rent(n * EntrySize);
            try
            {
                for (var i = 0; i < n; i++)
                {
                    var e = view[_persisted + i];
                    BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize), RelativeOffset(e));
                    BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize + 4), Position(e));
                }
                RandomAccess.Write(Handle, bytes.AsSpan(0, n * EntrySize), (long)_persisted * EntrySize);
                _persisted = view.Length;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        if (fsync)
        {
            RandomAccess.FlushToDisk(Handle);
        }
    }

    public void Fsync()
    {
        if (_handle is { IsClosed: false } h)
        {
            RandomAccess.FlushToDisk(h);
        }
    }

    public void Rename(string path)
    {
        File.Move(Path, path, overwrite: true);
        Path = path;
    }

    public void Dispose() => _handle?.Dispose();

    private SafeFileHandle Handle => _handle ?? throw new InvalidOperationException("index not loaded");
    private static long Pack(int rel, int pos) => ((long)rel << 32) | (uint)pos;
    private static int RelativeOffset(long e) => (int)(e >> 32);
    private static int Position(long e) => (int)e;
}
