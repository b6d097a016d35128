namespace Broker.Actors.Raft;

/// <summary>Lookups over a log held as a list of entries starting at a log start offset (both IRaftLog forms keep one).</summary>
internal static class RaftEntries
{
    /// <summary>The append contract of <see cref="IRaftLog.Append"/>: dense offsets, epochs never going back.</summary>
    public static void CheckAppend(in RaftEntry entry, long endOffset, int lastEpoch)
    {
        if (entry.Offset != endOffset)
        {
            throw new InvalidOperationException($"append at {entry.Offset} but log end is {endOffset}");
        }
        if (entry.Epoch < lastEpoch)
        {
            throw new InvalidOperationException($"append epoch {entry.Epoch} below last epoch {lastEpoch}");
        }
    }

    public static RaftEntry Read(List<RaftEntry> entries, long startOffset, long offset)
    {
        var end = startOffset + entries.Count;
        if (offset < startOffset || offset >= end)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"log holds [{startOffset}, {end})");
        }
        return entries[(int)(offset - startOffset)];
    }

    public static int Read(List<RaftEntry> entries, long startOffset, long fromOffset, Span<RaftEntry> destination)
    {
        var end = startOffset + entries.Count;
        if (fromOffset < startOffset || fromOffset > end)
        {
            throw new ArgumentOutOfRangeException(nameof(fromOffset), fromOffset, $"log holds [{startOffset}, {end})");
        }
        var index = (int)(fromOffset - startOffset);
        var count = Math.Min(destination.Length, entries.Count - index);
        for (var i = 0; i < count; i++)
        {
            destination[i] = entries[index + i];
        }
        return count;
    }

    /// <summary>See <see cref="IRaftLog.EndOffsetForEpoch"/>; <paramref name="snapshotEpoch"/> is the epoch at the log start.</summary>
    public static OffsetAndEpoch EndOffsetForEpoch(List<RaftEntry> entries, long startOffset, int epoch, int snapshotEpoch)
    {
        // Epochs never decrease along the log: binary search the first entry with an epoch above `epoch`.
        int lo = 0, hi = entries.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (entries[mid].Epoch <= epoch)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        // No entry with an epoch <= `epoch`: the log start is the only common point we know.
        return lo == 0 ? new OffsetAndEpoch(startOffset, snapshotEpoch) : new OffsetAndEpoch(startOffset + lo, entries[lo - 1].Epoch);
    }
}
