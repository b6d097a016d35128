namespace Broker.Actors.Storage;

public sealed partial class LogManager
{
    /// <summary>Starts the retention, flush and checkpoint timers.</summary>
    public void StartTimers()
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_shutdown, this);
            _timers.Add(Periodic(Config.RetentionCheckIntervalMs, () => RunExclusive(ref _retentionRunning, () => CleanupLogs())));
            _timers.Add(Periodic(Config.FlushCheckIntervalMs, () => RunExclusive(ref _flushRunning, FlushDirtyLogs)));
            _timers.Add(Periodic(Config.CheckpointIntervalMs, () => RunExclusive(ref _checkpointRunning, CheckpointAll)));
        }
    }

    private ITimer Periodic(long intervalMs, Action action)
    {
        var period = TimeSpan.FromMilliseconds(Math.Max(intervalMs, 10));
        return _time.CreateTimer(_ => action(), null, period, period);
    }

    /// <summary>Skips a run while the previous one is still going (timer callbacks may overlap).</summary>
    private static void RunExclusive(ref int running, Action action)
    {
        if (Interlocked.Exchange(ref running, 1) == 1)
        {
            return;
        }
        try
        {
            action();
        }
        catch (IOException)
        {
            // A failing disk shows up on the next append or read; the timer keeps going.
        }
        catch (ObjectDisposedException)
        {
            // A log deleted or closed during the run.
        }
        finally
        {
            Volatile.Write(ref running, 0);
        }
    }

    /// <summary>Retention for every log; returns the segments deleted.</summary>
    public int CleanupLogs()
    {
        var deleted = 0;
        foreach (var log in _logs.Values)
        {
            deleted += log.DeleteOldSegments();
        }
        return deleted;
    }

    /// <summary>Flushes the logs whose flush.ms has passed.</summary>
    public void FlushDirtyLogs()
    {
        foreach (var log in _logs.Values)
        {
            log.FlushIfDue();
        }
    }

    /// <summary>Writes each log dir's recovery point, log start offset and high watermark checkpoints.</summary>
    public void CheckpointAll()
    {
        foreach (var logDir in Config.LogDirs)
        {
            var logs = _logDirOf.Where(kv => kv.Value == logDir)
                .Select(kv => (Tp: kv.Key, Log: _logs.GetValueOrDefault(kv.Key)))
                .Where(x => x.Log is not null)
                .ToList();
            OffsetCheckpointFile.Write(Path.Combine(logDir, OffsetCheckpointFile.RecoveryPoint),
                logs.Select(x => KeyValuePair.Create(x.Tp, x.Log!.RecoveryPoint)));
            OffsetCheckpointFile.Write(Path.Combine(logDir, OffsetCheckpointFile.LogStartOffset),
                logs.Select(x => KeyValuePair.Create(x.Tp, x.Log!.LogStartOffset)));
            OffsetCheckpointFile.Write(Path.Combine(logDir, OffsetCheckpointFile.ReplicationOffset),
                logs.Select(x => KeyValuePair.Create(x.Tp, x.Log!.HighWatermark)));
        }
    }

    /// <summary>Stops the timers, closes every log (flushing it), checkpoints, and marks each dir clean.</summary>
    public void Shutdown()
    {
        lock (_lifecycle)
        {
            if (_shutdown)
            {
                return;
            }
            _shutdown = true;
            foreach (var timer in _timers)
            {
                timer.Dispose();
            }
            _timers.Clear();
        }
        // Wait for timer runs in flight.
        SpinWait.SpinUntil(() => Volatile.Read(ref _retentionRunning) == 0 && Volatile.Read(ref _flushRunning) == 0
            && Volatile.Read(ref _checkpointRunning) == 0, TimeSpan.FromSeconds(30));
        Parallel.ForEach(_logs.Values, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Config.RecoveryThreadsPerDataDir) },
            log => log.Close());
        CheckpointAll();
        foreach (var logDir in Config.LogDirs)
        {
            StorageIo.WriteAtomically(Path.Combine(logDir, CleanShutdownFile), []);
        }
    }

    public void Dispose() => Shutdown();
}
