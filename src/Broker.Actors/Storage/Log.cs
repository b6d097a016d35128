namespace Broker.Actors.Storage;

/// <summary>What a log's owner knows about it from the log dir's checkpoint files at startup.</summary>
public sealed record LogStartupState(
    long RecoveryPoint = 0,
    long LogStartOffset = 0,
    long HighWatermark = 0,
    bool HadCleanShutdown = false);

/// <summary>
/// A partition's log: a directory <c>&lt;topic&gt;-&lt;partition&gt;</c> of segments. One writer at a time
/// (appends, truncation, retention and flushes take <c>_lock</c>); readers never take it: after
/// every change the log publishes an immutable <see cref="LogSnapshot"/> and reads go through it.
/// </summary>
public sealed partial class Log : IDisposable
{
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly List<LogSegment> _segments = [];
    private LogSnapshot _snapshot = null!;
    private long _logEndOffset;
    private long _logStartOffset;
    private long _highWatermark;
    private long _recoveryPoint;
    private long _lastFlushMs;
    private bool _closed;

    private Log(string dir, TopicPartition tp, LogConfig config, TimeProvider time)
    {
        Dir = dir;
        TopicPartition = tp;
        Config = config;
        _time = time;
        LeaderEpochCache = new LeaderEpochFileCache(dir);
        ProducerState = new ProducerStateManager(dir);
    }

    public string Dir { get; private set; }
    public TopicPartition TopicPartition { get; }

    /// <summary>The topic id from <see cref="PartitionMetadataFile"/>; null until one is assigned.</summary>
    public Guid? TopicId { get; private set; }
    public LogConfig Config { get; private set; }
    public LeaderEpochFileCache LeaderEpochCache { get; }

    /// <summary>Idempotent producer state; touch only from the log's writer (or under <see cref="WithLock"/>).</summary>
    public ProducerStateManager ProducerState { get; }

    /// <summary>The latest published view: what readers use.</summary>
    public LogSnapshot Current => Volatile.Read(ref _snapshot);

    public long LogEndOffset => Current.LogEndOffset;
    public long LogStartOffset => Current.LogStartOffset;
    public long HighWatermark => Current.HighWatermark;
    public long RecoveryPoint => Volatile.Read(ref _recoveryPoint);
    public int SegmentCount => Current.Segments.Length;
    public long Size => Current.Size;

    /// <summary>
    /// Opens (or creates) the log in <paramref name="dir"/>, recovering it as needed: after a clean
    /// shutdown only the active segment's tail is read; otherwise every segment from the recovery
    /// point on is validated batch by batch and a torn or corrupt tail is cut off.
    /// </summary>
    public static Log Open(string dir, LogConfig config, LogStartupState? state = null, TimeProvider? time = null)
    {
        state ??= new LogStartupState();
        Directory.CreateDirectory(dir);
        if (!TopicPartition.TryParseDirectoryName(Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), out var tp))
        {
            tp = new TopicPartition(Path.GetFileName(dir), 0);
        }
        var log = new Log(dir, tp, config, time ?? TimeProvider.System) { TopicId = PartitionMetadataFile.Read(dir) };
        log.Load(state);
        return log;
    }

    /// <summary>Runs <paramref name="action"/> as the writer (e.g. to inspect producer state consistently).</summary>
    public T WithLock<T>(Func<Log, T> action)
    {
        lock (_lock)
        {
            return action(this);
        }
    }

    public void UpdateConfig(LogConfig config)
    {
        lock (_lock)
        {
            Config = config;
        }
    }

    /// <summary>Sets the high watermark (clamped to [log start, log end]); the owner decides it.</summary>
    public void UpdateHighWatermark(long highWatermark)
    {
        lock (_lock)
        {
            _highWatermark = Math.Clamp(highWatermark, _logStartOffset, _logEndOffset);
            Publish();
        }
    }

    private LogSegment Active => _segments[^1];
    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Publishes a new snapshot after a change; segment arrays are shared until segments change.</summary>
    private void Publish(bool segmentsChanged = false)
    {
        var previous = _snapshot;
        var segments = segmentsChanged || previous is null ? [.. _segments] : previous.Segments;
        Volatile.Write(ref _snapshot, new LogSnapshot(segments, Active.Size, _logStartOffset, _logEndOffset, _highWatermark));
    }

    /// <summary>Flushes and closes the log (a clean shutdown: the owner then writes the marker file).</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }
            FlushLocked(_logEndOffset);
            ProducerState.UpdateMapEndOffset(_logEndOffset);
            ProducerState.TakeSnapshot();
            _closed = true;
            foreach (var segment in _segments)
            {
                segment.Close();
            }
        }
    }

    public void Dispose() => Close();

    /// <summary>Records the id of the topic this log belongs to (written once, before the log serves).</summary>
    internal void AssignTopicId(Guid topicId)
    {
        lock (_lock)
        {
            if (TopicId != topicId)
            {
                PartitionMetadataFile.Write(Dir, topicId);
                TopicId = topicId;
            }
        }
    }

    /// <summary>
    /// Closes the files without flushing them or writing a producer snapshot (Kafka's closeHandlers): the log is
    /// being deleted, so nothing in it has to survive a crash, and a large log's final fsync would only hold up
    /// whoever waits for the deletion (the LogManager's lifecycle lock).
    /// </summary>
    internal void CloseForDeletion()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            foreach (var segment in _segments)
            {
                segment.Release(); // readers holding a segment keep its files open until they release it
            }
        }
    }

    /// <summary>Renames the directory of a closed log (its deletion); the producer state and the leader epoch
    /// cache follow, so nothing written later (a snapshot, an epoch) recreates the old directory, which may
    /// already hold a recreated topic's log.</summary>
    internal void MoveDirectory(string newDir)
    {
        lock (_lock)
        {
            if (!_closed)
            {
                throw new InvalidOperationException($"log {TopicPartition} must be closed before its directory moves");
            }
            Directory.Move(Dir, newDir);
            Dir = newDir;
            ProducerState.Dir = newDir;
            LeaderEpochCache.UpdateParentDir(newDir);
        }
    }

    public override string ToString() => $"Log({TopicPartition}, start={_logStartOffset}, end={_logEndOffset}, hw={_highWatermark})";
}
