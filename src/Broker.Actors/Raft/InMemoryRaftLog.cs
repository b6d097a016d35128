namespace Broker.Actors.Raft;

/// <summary>
/// An <see cref="IRaftLog"/> in memory, for the simulation and unit tests. It tracks which entries are
/// flushed so <see cref="Crash"/> can lose the unflushed tail, as a power cut loses the page cache.
/// </summary>
public sealed class InMemoryRaftLog : IRaftLog
{
    private readonly List<RaftEntry> _entries = new();
    private long _startOffset;
    private long _flushedEnd;
    private RaftSnapshot? _snapshot;

    public long LogStartOffset => _startOffset;

    public long EndOffset => _startOffset + _entries.Count;

    public long FlushedEndOffset => _flushedEnd;

    public int LastEpoch => _entries.Count > 0 ? _entries[^1].Epoch : _snapshot?.Id.Epoch ?? 0;

    public RaftSnapshot? LatestSnapshot => _snapshot;

    /// <summary>Lowest offset removed by a truncation since the last <see cref="TakeLowestTruncation"/> (long.MaxValue if none).</summary>
    public long LowestTruncation { get; private set; } = long.MaxValue;

    public void Append(in RaftEntry entry)
    {
        RaftEntries.CheckAppend(entry, EndOffset, LastEpoch);
        _entries.Add(entry);
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
        _entries.RemoveRange((int)(endOffset - _startOffset), (int)(EndOffset - endOffset));
        _flushedEnd = Math.Min(_flushedEnd, endOffset);
        LowestTruncation = Math.Min(LowestTruncation, endOffset);
    }

    public OffsetAndEpoch EndOffsetForEpoch(int epoch) =>
        RaftEntries.EndOffsetForEpoch(_entries, _startOffset, epoch, _snapshot?.Id.Epoch ?? 0);

    public void Flush() => _flushedEnd = EndOffset;

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
        // A snapshot is written and renamed atomically, so it is durable; so is deleting the prefix.
        Flush();
        _entries.RemoveRange(0, (int)(end - _startOffset));
        _startOffset = end;
        _snapshot = snapshot;
    }

    public void InstallSnapshot(RaftSnapshot snapshot)
    {
        // Not a truncation in the LowestTruncation sense: the entries below the snapshot live on in it.
        _entries.Clear();
        _startOffset = snapshot.Id.Offset;
        _flushedEnd = _startOffset;
        _snapshot = snapshot;
    }

    /// <summary>Simulates a process crash: with <paramref name="loseUnflushed"/>, entries not yet flushed vanish.</summary>
    public void Crash(bool loseUnflushed)
    {
        if (loseUnflushed && _flushedEnd < EndOffset)
        {
            TruncateTo(_flushedEnd);
        }
        _flushedEnd = EndOffset;
    }

    /// <summary>Returns and resets <see cref="LowestTruncation"/>, so a checker can re-verify what changed.</summary>
    public long TakeLowestTruncation()
    {
        var lowest = LowestTruncation;
        LowestTruncation = long.MaxValue;
        return lowest;
    }
}
