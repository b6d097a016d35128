namespace Broker.Actors.Kernel;

/// <summary>
/// Timers that deliver a message to the actor itself (Akka's ITimerScheduler). Time arrives as a
/// message, so timer handling is ordinary single-threaded actor code. Keys are unique: starting a
/// timer with a live key replaces it. Use only from the actor's own thread.
/// </summary>
public interface ITimerScheduler
{
    /// <summary>Delivers <paramref name="message"/> once after <paramref name="delay"/>.</summary>
    void StartSingleTimer(object key, object message, TimeSpan delay);

    /// <summary>Delivers <paramref name="message"/> every <paramref name="interval"/>.</summary>
    void StartPeriodicTimer(object key, object message, TimeSpan interval);

    /// <summary>Delivers <paramref name="message"/> after <paramref name="initialDelay"/>, then every <paramref name="interval"/>.</summary>
    void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval);

    /// <summary>Whether a timer with this key is pending (a fired single timer is no longer active once delivered).</summary>
    bool IsTimerActive(object key);

    /// <summary>Cancels the timer; a message it already queued is discarded, not delivered.</summary>
    void Cancel(object key);

    /// <summary>Cancels every timer (the kernel does this on stop and restart).</summary>
    void CancelAll();
}

/// <summary>
/// One live timer. It is also the message the timer posts: the cell delivers <see cref="Message"/>
/// only if this exact entry is still registered, which is how cancelled or replaced timers' in-flight
/// ticks are dropped. Reusing the entry per tick means a periodic timer allocates nothing per tick.
/// </summary>
internal sealed class TimerEntry(object key, object message, bool periodic, ActorCell owner) : IAutoReceivedMessage
{
    public object Key { get; } = key;

    public object Message { get; } = message;

    public bool Periodic { get; } = periodic;

    public ITimer? Timer { get; set; }

    public static void Fire(object? state)
    {
        var entry = (TimerEntry)state!;
        entry._owner.Post(entry, null);
    }

    private readonly ActorCell _owner = owner;
}

internal sealed class TimerScheduler(ActorCell cell) : ITimerScheduler
{
    private readonly Dictionary<object, TimerEntry> _timers = [];

    public void StartSingleTimer(object key, object message, TimeSpan delay) =>
        Start(key, message, delay, Timeout.InfiniteTimeSpan);

    public void StartPeriodicTimer(object key, object message, TimeSpan interval) =>
        Start(key, message, interval, interval);

    public void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval) =>
        Start(key, message, initialDelay, interval);

    public bool IsTimerActive(object key) => _timers.ContainsKey(key);

    public void Cancel(object key)
    {
        if (_timers.Remove(key, out var entry))
            entry.Timer?.Dispose();
    }

    public void CancelAll()
    {
        foreach (var entry in _timers.Values)
            entry.Timer?.Dispose();
        _timers.Clear();
    }

    /// <summary>True if the tick belongs to a live timer; a single timer is retired by its one tick.</summary>
    internal bool TryConsume(TimerEntry entry)
    {
        if (!_timers.TryGetValue(entry.Key, out var current) || !ReferenceEquals(current, entry))
            return false;
        if (!entry.Periodic)
        {
            _timers.Remove(entry.Key);
            entry.Timer?.Dispose();
        }

        return true;
    }

    private void Start(object key, object message, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        if (dueTime < TimeSpan.Zero)
            dueTime = TimeSpan.Zero;
        if (period != Timeout.InfiniteTimeSpan && period <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(period), "a periodic timer needs a positive interval");
        Cancel(key);
        var entry = new TimerEntry(key, message, period != Timeout.InfiniteTimeSpan, cell);
        _timers[key] = entry;
        entry.Timer = cell.System.TimeProvider.CreateTimer(TimerEntry.Fire, entry, dueTime, period);
    }
}
