using System.Globalization;
using System.Text;

namespace Broker.Actors.Storage;

/// <summary>
/// The leader epoch cache (<c>leader-epoch-checkpoint</c> in the partition directory): for each
/// leader epoch, the first offset written in it. Answers OffsetForLeaderEpoch, so a follower can
/// find where its log diverges from the leader's. Persisted on every change (changes are rare).
/// </summary>
public sealed class LeaderEpochFileCache
{
    public const string FileName = "leader-epoch-checkpoint";

    public readonly record struct EpochEntry(int Epoch, long StartOffset);

    private readonly object _lock = new();
    private readonly List<EpochEntry> _entries = [];
    private string _path;

    public LeaderEpochFileCache(string dir)
    {
        _path = Path.Combine(dir, FileName);
        try
        {
            foreach (var parts in OffsetCheckpointFile.ReadLines(_path, 2))
            {
                _entries.Add(new EpochEntry(int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture)));
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or OverflowException)
        {
            // A torn checkpoint: start empty; epochs are re-learned from new appends.
            _entries.Clear();
        }
    }

    public IReadOnlyList<EpochEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    public int LatestEpoch
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count == 0 ? -1 : _entries[^1].Epoch;
            }
        }
    }

    /// <summary>Records that <paramref name="epoch"/> starts at <paramref name="startOffset"/> if it is newer than the latest.</summary>
    public void Assign(int epoch, long startOffset)
    {
        if (epoch < 0)
        {
            return;
        }
        lock (_lock)
        {
            if (_entries.Count > 0 && (epoch <= _entries[^1].Epoch))
            {
                return;
            }
            // An older epoch cannot start at or after a newer one's start: drop such stale entries.
            while (_entries.Count > 0 && _entries[^1].StartOffset >= startOffset)
            {
                _entries.RemoveAt(_entries.Count - 1);
            }
            _entries.Add(new EpochEntry(epoch, startOffset));
            Persist();
        }
    }

    /// <summary>
    /// OffsetForLeaderEpoch: the largest epoch &lt;= requested and the start offset of the next
    /// epoch (or the log end offset when the requested epoch is the latest). (-1, -1) when unknown.
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetFor(int requestedEpoch, long logEndOffset)
    {
        lock (_lock)
        {
            if (requestedEpoch < 0 || _entries.Count == 0)
            {
                return (-1, -1);
            }
            if (requestedEpoch == _entries[^1].Epoch)
            {
                return (requestedEpoch, logEndOffset);
            }
            var higher = _entries.FindIndex(e => e.Epoch > requestedEpoch);
            if (higher < 0)
            {
                return (-1, -1);
            }
            return higher == 0 ? (requestedEpoch, _entries[0].StartOffset) : (_entries[higher - 1].Epoch, _entries[higher].StartOffset);
        }
    }

    /// <summary>After truncating the log to <paramref name="endOffset"/>: drop epochs starting at or after it.</summary>
    public void TruncateFromEnd(long endOffset)
    {
        lock (_lock)
        {
            var removed = _entries.RemoveAll(e => e.StartOffset >= endOffset);
            if (removed > 0)
            {
                Persist();
            }
        }
    }

    /// <summary>After the log start moved to <paramref name="startOffset"/>: drop older epochs, keep the one covering it.</summary>
    public void TruncateFromStart(long startOffset)
    {
        lock (_lock)
        {
            var covering = _entries.FindLastIndex(e => e.StartOffset <= startOffset);
            if (covering < 0 || (covering == 0 && _entries[0].StartOffset == startOffset))
            {
                return;
            }
            var epoch = _entries[covering].Epoch;
            _entries.RemoveRange(0, covering + 1);
            _entries.Insert(0, new EpochEntry(epoch, startOffset));
            Persist();
        }
    }

    /// <summary>The partition directory was renamed (its log is being deleted): later writes go to the new place,
    /// never recreating the old directory.</summary>
    internal void UpdateParentDir(string dir)
    {
        lock (_lock)
        {
            _path = Path.Combine(dir, FileName);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            Persist();
        }
    }

    private void Persist()
    {
        var body = new StringBuilder();
        foreach (var e in _entries)
        {
            body.Append(e.Epoch.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(e.StartOffset.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        OffsetCheckpointFile.WriteLines(_path, _entries.Count, body.ToString());
    }
}
