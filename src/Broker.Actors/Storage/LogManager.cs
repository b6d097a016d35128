using System.Collections.Concurrent;

namespace Broker.Actors.Storage;

/// <summary>
/// The node's partition logs across its log dirs (Kafka's LogManager): opens them all at startup in
/// parallel (skipping the scan after a clean shutdown), creates and deletes logs, and on timers runs
/// retention, flush.ms flushes and the offset checkpoints. Shutdown writes the clean-shutdown marker.
/// </summary>
public sealed partial class LogManager : IDisposable
{
    /// <summary>Kafka's marker: present only while the logs in the dir are closed cleanly.</summary>
    public const string CleanShutdownFile = ".kafka_cleanshutdown";
    public const string DeleteDirSuffix = "-delete";
    public const string MetadataLogDirectoryName = "__cluster_metadata-0";

    private readonly ConcurrentDictionary<TopicPartition, Log> _logs = new();
    private readonly ConcurrentDictionary<TopicPartition, string> _logDirOf = new();
    private readonly TimeProvider _time;
    private readonly List<ITimer> _timers = [];
    private readonly object _lifecycle = new();
    private int _retentionRunning;
    private int _flushRunning;
    private int _checkpointRunning;
    private bool _shutdown;

    private LogManager(LogManagerConfig config, TimeProvider time)
    {
        Config = config;
        _time = time;
    }

    public LogManagerConfig Config { get; }
    public IReadOnlyCollection<Log> Logs => (IReadOnlyCollection<Log>)_logs.Values;
    public int LogCount => _logs.Count;

    /// <summary>Logs opened after an unclean shutdown at the last startup (for tests and logging).</summary>
    public int UncleanlyOpenedLogs { get; private set; }

    public Log? GetLog(TopicPartition tp) => _logs.GetValueOrDefault(tp);

    /// <summary>Opens every partition log in the configured dirs. Does not start the timers (see <see cref="StartTimers"/>).</summary>
    public static LogManager Startup(LogManagerConfig config, Func<TopicPartition, LogConfig>? topicConfig = null, TimeProvider? time = null)
    {
        var manager = new LogManager(config, time ?? TimeProvider.System);
        manager.LoadLogs(topicConfig ?? (_ => config.DefaultLogConfig));
        return manager;
    }

    private void LoadLogs(Func<TopicPartition, LogConfig> topicConfig)
    {
        var unclean = 0;
        foreach (var logDir in Config.LogDirs)
        {
            Directory.CreateDirectory(logDir);
            var marker = Path.Combine(logDir, CleanShutdownFile);
            var clean = File.Exists(marker);
            var recoveryPoints = ReadCheckpoint(logDir, OffsetCheckpointFile.RecoveryPoint);
            var startOffsets = ReadCheckpoint(logDir, OffsetCheckpointFile.LogStartOffset);
            var highWatermarks = ReadCheckpoint(logDir, OffsetCheckpointFile.ReplicationOffset);
            var partitions = new List<(TopicPartition Tp, string Path)>();
            foreach (var sub in Directory.EnumerateDirectories(logDir))
            {
                var name = Path.GetFileName(sub);
                if (name.EndsWith(DeleteDirSuffix, StringComparison.Ordinal))
                {
                    // A deletion interrupted by a restart: finish it in the background.
                    _ = Task.Run(() => DeleteDirectory(sub));
                    continue;
                }
                // The metadata log (__cluster_metadata-0) belongs to the quorum, never to the LogManager.
                if (name.EndsWith("-future", StringComparison.Ordinal) || name.EndsWith("-stray", StringComparison.Ordinal)
                    || name == MetadataLogDirectoryName || !TopicPartition.TryParseDirectoryName(name, out var tp))
                {
                    continue;
                }
                partitions.Add((tp, sub));
            }
            var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Config.RecoveryThreadsPerDataDir) };
            Parallel.ForEach(partitions, options, p =>
            {
                var state = new LogStartupState(
                    recoveryPoints.GetValueOrDefault(p.Tp),
                    startOffsets.GetValueOrDefault(p.Tp),
                    highWatermarks.GetValueOrDefault(p.Tp),
                    clean);
                var log = Log.Open(p.Path, topicConfig(p.Tp), state, _time);
                if (!_logs.TryAdd(p.Tp, log))
                {
                    log.Close();
                    throw new LogStorageException($"partition {p.Tp} has logs in two log dirs");
                }
                _logDirOf[p.Tp] = logDir;
            });
            if (!clean)
            {
                unclean += partitions.Count;
            }
            // From now on the logs in this dir are open: a crash must not look like a clean shutdown.
            File.Delete(marker);
        }
        UncleanlyOpenedLogs = unclean;
        CheckpointAll();
    }

    private static Dictionary<TopicPartition, long> ReadCheckpoint(string logDir, string name)
    {
        try
        {
            return OffsetCheckpointFile.Read(Path.Combine(logDir, name));
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or OverflowException)
        {
            // A damaged checkpoint only costs a longer recovery (recovery point 0) or a default start.
            return [];
        }
    }

    /// <summary>
    /// Returns the partition's log, creating it in the log dir holding the fewest partitions. With a
    /// <paramref name="topicId"/>, an existing log of another topic id (the topic was deleted and recreated
    /// while this node was away) is deleted and a new one created; a log without an id takes this one.
    /// </summary>
    public Log GetOrCreateLog(TopicPartition tp, LogConfig? config = null, Guid? topicId = null)
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_shutdown, this);
            if (_logs.TryGetValue(tp, out var existing))
            {
                if (topicId is not { } id || existing.TopicId is null || existing.TopicId == id)
                {
                    if (topicId is { } assign)
                    {
                        existing.AssignTopicId(assign);
                    }
                    return existing;
                }
                _ = DeleteLog(tp);
            }
            var logDir = Config.LogDirs
                .OrderBy(d => _logDirOf.Values.Count(v => v == d))
                .ThenBy(d => d, StringComparer.Ordinal)
                .First();
            var log = Log.Open(Path.Combine(logDir, tp.DirectoryName), config ?? Config.DefaultLogConfig, null, _time);
            if (topicId is { } newId)
            {
                log.AssignTopicId(newId);
            }
            _logs[tp] = log;
            _logDirOf[tp] = logDir;
            return log;
        }
    }

    /// <summary>
    /// Closes a partition's log and opens it again from disk, validating every batch after its recovery
    /// point: what a partition actor's restart does after a failure left the in-memory state in doubt.
    /// The log start offset, high watermark and recovery point carry over.
    /// </summary>
    public Log ReopenLog(TopicPartition tp, LogConfig? config = null, Guid? topicId = null)
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_shutdown, this);
            if (!_logs.TryGetValue(tp, out var old))
            {
                return GetOrCreateLog(tp, config, topicId);
            }
            if (topicId is { } id && old.TopicId is { } current && current != id)
            {
                // A replica of a deleted topic restarting after its successor took the name: not its log.
                throw new LogStorageException($"partition {tp} now belongs to topic id {current}, not {id}");
            }
            var state = new LogStartupState(old.RecoveryPoint, old.LogStartOffset, old.HighWatermark, HadCleanShutdown: false);
            old.Close();
            var log = Log.Open(old.Dir, config ?? old.Config, state, _time);
            _logs[tp] = log;
            return log;
        }
    }

    /// <summary>
    /// Deletes a partition's log: closes it (without a flush: its data is going away), renames its directory to
    /// <c>&lt;topic&gt;-&lt;partition&gt;.&lt;uuid&gt;-delete</c> (atomic; a restart finishes the job) and
    /// removes the files in the background. Returns the background deletion.
    /// </summary>
    public Task DeleteLog(TopicPartition tp, Guid? topicId = null)
    {
        Log? log;
        lock (_lifecycle)
        {
            // With a topic id, only that topic's log: the name may already hold a recreated topic's log.
            if (!_logs.TryGetValue(tp, out log) || (topicId is { } id && log.TopicId is { } current && current != id)
                || !_logs.TryRemove(tp, out log))
            {
                return Task.CompletedTask;
            }
            _logDirOf.TryRemove(tp, out _);
            // Renamed inside the lock: a log created for the same partition right after (a recreated topic)
            // must find the directory gone, not open the deleted log's files. Nothing slow happens here: no fsync.
            log.CloseForDeletion();
            var target = Path.Combine(Path.GetDirectoryName(log.Dir)!, $"{tp.DirectoryName}.{Guid.NewGuid():N}{DeleteDirSuffix}");
            log.MoveDirectory(target);
            return Task.Run(() => DeleteDirectory(target));
        }
    }

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Retried at the next startup.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
