using System.Buffers.Binary;
using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Broker.Actors.Storage;

/// <summary>
/// A segment's sparse time index (<c>.timeindex</c>): entries of timestamp int64 + relative offset
/// int32, big-endian. Each entry says "records up to this offset have timestamps up to this value";
/// timestamps never decrease. The last entry of an inactive segment is its largest timestamp.
/// </summary>
internal sealed class TimeIndex : IDisposable
{
    public const int EntrySize = 12;

    internal readonly record struct Entry(long Timestamp, int RelativeOffset);

    private readonly PublishedList<Entry> _entries = new(64);
    private SafeFileHandle? _handle;
    private int _persisted;

    public TimeIndex(string path, long baseOffset)
    {
        Path = path;
        BaseOffset = baseOffset;
    }

    public string Path { get; private set; }
    public long BaseOffset { get; }
    public int Count => _entries.Count;

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
                _entries.Add(new Entry(
                    BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(i)),
                    BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i + 8))));
            }
            _persisted = _entries.Count;
            return read == length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Timestamps and offsets never decrease, and no entry points past the segment's last offset.</summary>
    public bool IsSane(long segmentNextOffset)
    {
        long prevTs = long.MinValue, prevRel = -1;
        foreach (var e in _entries.View)
        {
            if (e.Timestamp < prevTs || e.RelativeOffset < prevRel || BaseOffset + e.RelativeOffset >= segmentNextOffset)
            {
                return false;
            }
            prevTs = e.Timestamp;
            prevRel = e.RelativeOffset;
        }
        return true;
    }

    /// <summary>The newest entry, or null when empty.</summary>
    public Entry? Last
    {
        get
        {
            var view = _entries.View;
            return view.Length == 0 ? null : view[^1];
        }
    }

    /// <summary>Adds an entry when the timestamp is newer than the last one's.</summary>
    public void MaybeAppend(long timestamp, long offset)
    {
        var view = _entries.View;
        var rel = (int)(offset - BaseOffset);
        if (view.Length > 0 && (timestamp <= view[^1].Timestamp || rel < view[^1].RelativeOffset))
        {
            return;
        }
        _entries.Add(new Entry(timestamp, rel));
    }

    /// <summary>
    /// The offset from which to scan for the first record with timestamp &gt;= target: the offset of
    /// the largest entry whose timestamp is &lt; target (every record before it is older), else the base.
    /// </summary>
    public long Lookup(long targetTimestamp)
    {
        var view = _entries.View;
        int lo = 0, hi = view.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (view[mid].Timestamp < targetTimestamp)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found < 0 ? BaseOffset : BaseOffset + view[found].RelativeOffset;
    }

    public void TruncateTo(long offset)
    {
        var view = _entries.View;
        var keep = view.Length;
        while (keep > 0 && BaseOffset + view[keep - 1].RelativeOffset >= offset)
        {
            keep--;
        }
        if (keep >= view.Length)
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

    public void Reset()
    {
        _entries.Clear();
        _persisted = 0;
        RandomAccess.SetLength(Handle, 0);
    }

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
                    BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(i * EntrySize), e.Timestamp);
                    BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize + 8), e.RelativeOffset);
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
}
