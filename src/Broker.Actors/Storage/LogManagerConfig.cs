namespace Broker.Actors.Storage;

/// <summary>Broker-level storage settings (Kafka's log.dirs, log.retention.check.interval.ms, ...).</summary>
public sealed record LogManagerConfig
{
    /// <summary>log.dirs: each holds partition directories and its own checkpoint files.</summary>
    public required IReadOnlyList<string> LogDirs { get; init; }
    /// <summary>Defaults for logs without topic overrides.</summary>
    public LogConfig DefaultLogConfig { get; init; } = LogConfig.Default;
    /// <summary>log.retention.check.interval.ms.</summary>
    public long RetentionCheckIntervalMs { get; init; } = 300_000;
    /// <summary>log.flush.scheduler.interval.ms: how often flush.ms is checked (Kafka's default is "never").</summary>
    public long FlushCheckIntervalMs { get; init; } = 1_000;
    /// <summary>log.flush.offset.checkpoint.interval.ms: recovery point / log start / high watermark checkpoints.</summary>
    public long CheckpointIntervalMs { get; init; } = 60_000;
    /// <summary>num.recovery.threads.per.data.dir: logs opened in parallel at startup.</summary>
    public int RecoveryThreadsPerDataDir { get; init; } = 8;
}
