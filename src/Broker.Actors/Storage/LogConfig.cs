namespace Broker.Actors.Storage;

/// <summary>How a partition log stamps batch timestamps (Kafka's message.timestamp.type).</summary>
public enum TimestampType
{
    CreateTime,
    LogAppendTime,
}

/// <summary>
/// Per-log settings, with Kafka's topic-level names and defaults (segment.bytes, retention.ms, ...).
/// A value of -1 for retention means "unlimited"; long.MaxValue for flush means "leave it to the OS".
/// </summary>
public sealed record LogConfig
{
    /// <summary>segment.bytes: roll to a new segment when the active one would grow past this.</summary>
    public int SegmentBytes { get; init; } = 1024 * 1024 * 1024;
    /// <summary>segment.ms: roll when the active segment's first batch is this old.</summary>
    public long SegmentMs { get; init; } = 7L * 24 * 3600 * 1000;
    /// <summary>segment.index.bytes: roll when the offset index would exceed this many bytes.</summary>
    public int SegmentIndexBytes { get; init; } = 10 * 1024 * 1024;
    /// <summary>retention.ms: delete inactive segments whose newest timestamp is older than this (-1 = forever).</summary>
    public long RetentionMs { get; init; } = 7L * 24 * 3600 * 1000;
    /// <summary>retention.bytes: delete the oldest inactive segments while the log is larger than this (-1 = no limit).</summary>
    public long RetentionBytes { get; init; } = -1;
    /// <summary>flush.messages: fsync once this many messages are unflushed (1 = fsync every append).</summary>
    public long FlushMessages { get; init; } = long.MaxValue;
    /// <summary>flush.ms: fsync when the last flush is this old.</summary>
    public long FlushMs { get; init; } = long.MaxValue;
    /// <summary>index.interval.bytes: add an offset index entry after this many bytes of batches.</summary>
    public int IndexIntervalBytes { get; init; } = 4096;
    /// <summary>max.message.bytes: the largest batch accepted (after the log overhead).</summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024 + 12;
    /// <summary>message.timestamp.type.</summary>
    public TimestampType TimestampType { get; init; } = TimestampType.CreateTime;
    /// <summary>file.delete.delay.ms: how long a deleted segment's files stay (renamed .deleted) before removal.</summary>
    public long FileDeleteDelayMs { get; init; } = 60_000;
    /// <summary>min.insync.replicas: the ISR size an acks=all write needs (checked by the partition leader).</summary>
    public int MinInSyncReplicas { get; init; } = 1;
    /// <summary>producer.id.expiration.ms (broker-level in Kafka): forget idle producers after this long.</summary>
    public long ProducerIdExpirationMs { get; init; } = 24L * 3600 * 1000;

    public static LogConfig Default { get; } = new();

    /// <summary>The largest number of entries the offset index may hold before a roll.</summary>
    internal int MaxIndexEntries => Math.Max(SegmentIndexBytes / OffsetIndex.EntrySize, 1);
}
