namespace Broker.Actors.Raft;

/// <summary>
/// The replicated log under the Raft core (`__cluster_metadata`): dense offsets, epochs non-decreasing,
/// a log start offset that moves forward behind snapshots. Appends may sit unflushed until
/// <see cref="Flush"/>; a crash may lose them. Truncations and snapshots are durable when they return.
/// </summary>
public interface IRaftLog
{
    /// <summary>First offset still held as entries (the end offset of the latest snapshot, or 0).</summary>
    long LogStartOffset { get; }

    /// <summary>The next offset to be written (Kafka's log end offset).</summary>
    long EndOffset { get; }

    /// <summary>Entries below this offset survive a crash.</summary>
    long FlushedEndOffset { get; }

    /// <summary>Epoch of the last entry; the latest snapshot's epoch when the log holds no entries; 0 when empty.</summary>
    int LastEpoch { get; }

    /// <summary>The latest snapshot, whose end offset is <see cref="LogStartOffset"/> when the log was truncated behind it.</summary>
    RaftSnapshot? LatestSnapshot { get; }

    /// <summary>Appends one entry at <see cref="EndOffset"/> (its offset must equal it; its epoch must not go back).</summary>
    void Append(in RaftEntry entry);

    /// <summary>The entry at <paramref name="offset"/> (LogStartOffset &lt;= offset &lt; EndOffset).</summary>
    RaftEntry Read(long offset);

    /// <summary>Copies up to <paramref name="destination"/>.Length entries from <paramref name="fromOffset"/>; returns the count.</summary>
    int Read(long fromOffset, Span<RaftEntry> destination);

    /// <summary>Removes every entry at or above <paramref name="endOffset"/> (durably).</summary>
    void TruncateTo(long endOffset);

    /// <summary>
    /// The largest epoch &lt;= <paramref name="epoch"/> held by this log, and the end offset of that epoch
    /// (the start of the next epoch, or the log end). When no entry has such an epoch, the log start
    /// boundary: (LogStartOffset, snapshot epoch or 0).
    /// </summary>
    OffsetAndEpoch EndOffsetForEpoch(int epoch);

    /// <summary>Makes every appended entry durable.</summary>
    void Flush();

    /// <summary>Stores a snapshot of entries below its end offset (which must be in the log) and deletes them.</summary>
    void CreateSnapshot(RaftSnapshot snapshot);

    /// <summary>Replaces the whole log by a snapshot fetched from the leader (the log becomes empty at its end offset).</summary>
    void InstallSnapshot(RaftSnapshot snapshot);
}
