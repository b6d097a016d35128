using System.Buffers;
using System.Collections.Concurrent;

namespace Broker.Actors.Purgatory;

/// <summary>
/// Kafka's DelayedOperationPurgatory: operations wait here, watched under one or more keys (a
/// partition, a group), until an event on a key lets them complete (<see cref="CheckAndComplete"/>)
/// or their timeout expires on the shared <see cref="TimerWheel"/>. No thread waits for an
/// operation. Partition actors call <see cref="CheckAndComplete"/> after appending or advancing the
/// high watermark; request handlers call <see cref="TryCompleteElseWatch"/>.
/// </summary>
public sealed class DelayedOperationPurgatory<TKey> : IDisposable where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Watchers> _watchers = new();
    private readonly TimerWheel _timer;
    private readonly bool _ownsTimer;
    private readonly int _purgeInterval;
    private long _estimatedWatched;

    /// <param name="name">Kafka's purgatory name (Produce, Fetch, Heartbeat, ...), for diagnostics.</param>
    /// <param name="timer">A shared timer; by default the purgatory owns one.</param>
    /// <param name="purgeInterval">Completed operations left in watch lists of keys that saw no event
    /// are swept once this many more are watched than are pending (Kafka's purgeInterval).</param>
    public DelayedOperationPurgatory(string name, TimerWheel? timer = null, int purgeInterval = 1000)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(purgeInterval, 1);
        Name = name;
        _ownsTimer = timer is null;
        _timer = timer ?? new TimerWheel();
        _purgeInterval = purgeInterval;
    }

    public string Name { get; }

    /// <summary>Operations waiting for their timeout (Kafka's "delayed" count).</summary>
    public int Delayed => _timer.Count;

    /// <summary>Entries in all watch lists, completed ones not yet swept included (Kafka's "watched").</summary>
    public int Watched => _watchers.Values.Sum(w => w.Count);

    /// <summary>
    /// Completes <paramref name="operation"/> now if it can; otherwise watches it under every key and
    /// starts its timeout. Returns true if it completed here (by this call).
    /// </summary>
    public bool TryCompleteElseWatch(DelayedOperation operation, IReadOnlyList<TKey> keys)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("an operation must be watched under at least one key", nameof(keys));
        }
        // Watching happens under the operation's lock, between two completion checks, so an event
        // that fires in between is seen by one of them.
        if (operation.SafeTryCompleteOrElse(() =>
        {
            foreach (var key in keys)
            {
                Watch(key, operation);
            }
        }))
        {
            return true;
        }
        if (!operation.IsCompleted)
        {
            _timer.Add(operation);
        }
        if (Interlocked.Add(ref _estimatedWatched, keys.Count) - _timer.Count > _purgeInterval)
        {
            PurgeCompleted();
        }
        return false;
    }

    /// <summary>Tries to complete the operations watched under <paramref name="key"/> (after an event
    /// on it). Returns how many completed.</summary>
    public int CheckAndComplete(TKey key)
    {
        if (!_watchers.TryGetValue(key, out var watchers))
        {
            return 0;
        }
        var completed = watchers.TryCompleteWatched();
        RemoveIfEmpty(key, watchers);
        return completed;
    }

    private void Watch(TKey key, DelayedOperation operation)
    {
        while (true)
        {
            var watchers = _watchers.GetOrAdd(key, static _ => new Watchers());
            if (watchers.TryAdd(operation))
            {
                return;
            }
            // That list was just removed as empty; take the new one.
        }
    }

    private void RemoveIfEmpty(TKey key, Watchers watchers)
    {
        if (watchers.TryRetireIfEmpty())
        {
            _watchers.TryRemove(new KeyValuePair<TKey, Watchers>(key, watchers));
        }
    }

    /// <summary>Drops completed operations from every watch list.</summary>
    public int PurgeCompleted()
    {
        var purged = 0;
        long remaining = 0;
        foreach (var (key, watchers) in _watchers)
        {
            purged += watchers.PurgeCompleted();
            remaining += watchers.Count;
            RemoveIfEmpty(key, watchers);
        }
        Interlocked.Exchange(ref _estimatedWatched, remaining);
        return purged;
    }

    public void Dispose()
    {
        if (_ownsTimer)
        {
            _timer.Dispose();
        }
    }

    /// <summary>The operations watched under one key.</summary>
    private sealed class Watchers
    {
        private readonly List<DelayedOperation> _operations = [];
        private bool _retired;

        public int Count
        {
            get
            {
                lock (_operations)
                {
                    return _operations.Count;
                }
            }
        }

        public bool TryAdd(DelayedOperation operation)
        {
            lock (_operations)
            {
                if (_retired)
                {
                    return false;
                }
                _operations.Add(operation);
                return true;
            }
        }

        public int TryCompleteWatched()
        {
            // Snapshot, then try outside this list's lock: TryComplete takes the operation's lock,
            // and an operation being watched holds its own lock while it takes this one.
            DelayedOperation[] snapshot;
            int n;
            lock (_operations)
            {
                n = _operations.Count;
                snapshot = ArrayPool<DelayedOperation>.Shared.Rent(Math.Max(1, n));
                _operations.CopyTo(snapshot);
            }
            var completed = 0;
            var anyDone = false;
            for (var i = 0; i < n; i++)
            {
                var operation = snapshot[i];
                if (!operation.IsCompleted && operation.SafeTryComplete())
                {
                    completed++;
                }
                // Checked after the attempt too: another key's event may have completed it meanwhile,
                // and its entry here must still go (Kafka removes it in the same pass).
                anyDone |= operation.IsCompleted;
            }
            Array.Clear(snapshot, 0, n);
            ArrayPool<DelayedOperation>.Shared.Return(snapshot);
            if (anyDone)
            {
                PurgeCompleted();
            }
            return completed;
        }

        public int PurgeCompleted()
        {
            lock (_operations)
            {
                return _operations.RemoveAll(static o => o.IsCompleted);
            }
        }

        /// <summary>Marks an empty list retired so no one adds to it after it leaves the map.</summary>
        public bool TryRetireIfEmpty()
        {
            lock (_operations)
            {
                if (_operations.Count == 0 && !_retired)
                {
                    _retired = true;
                    return true;
                }
                return false;
            }
        }
    }
}
