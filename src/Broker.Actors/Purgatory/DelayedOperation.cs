namespace Broker.Actors.Purgatory;

/// <summary>
/// Kafka's DelayedOperation: a request that waits in purgatory for a condition (acks from the
/// followers, enough bytes to fetch, a group to stabilise) or for its timeout, whichever comes first.
/// Completes exactly once: <see cref="OnComplete"/> runs once, either from <see cref="TryComplete"/>
/// after an event, or on expiry (then <see cref="OnExpiration"/> runs after it, as in Kafka).
/// </summary>
public abstract class DelayedOperation
{
    // Serialises TryComplete calls from several threads (events on different keys).
    private readonly Lock _lock = new();
    private int _completed;

    protected DelayedOperation(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "timeout must not be negative");
        }
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    // Links of the timer wheel's bucket list, guarded by the wheel's lock.
    internal TimerWheel? Wheel;
    internal DelayedOperation? WheelPrevious;
    internal DelayedOperation? WheelNext;
    internal long DeadlineTick;
    internal int WheelBucket = -1;

    /// <summary>
    /// Checks whether the operation can be completed now; if so calls <see cref="ForceComplete"/> and
    /// returns what it returned. Called when a watched key changes, never concurrently with itself.
    /// </summary>
    public abstract bool TryComplete();

    /// <summary>The work of completing (building and sending the response). Runs exactly once.</summary>
    protected abstract void OnComplete();

    /// <summary>Runs after <see cref="OnComplete"/> when completion came from the timeout.</summary>
    protected virtual void OnExpiration()
    {
    }

    /// <summary>Completes the operation if nobody has yet: cancels its timeout and runs
    /// <see cref="OnComplete"/>. True if this call completed it.</summary>
    public bool ForceComplete()
    {
        if (Interlocked.CompareExchange(ref _completed, 1, 0) != 0)
        {
            return false;
        }
        Wheel?.Remove(this);
        OnComplete();
        return true;
    }

    internal bool SafeTryComplete()
    {
        lock (_lock)
        {
            return !IsCompleted && TryComplete();
        }
    }

    /// <summary>Tries to complete; if it cannot, runs <paramref name="watch"/> and tries once more, so an
    /// event between the first check and the watch is not missed (Kafka's safeTryCompleteOrElse).</summary>
    internal bool SafeTryCompleteOrElse(Action watch)
    {
        lock (_lock)
        {
            if (TryComplete())
            {
                return true;
            }
            watch();
            return !IsCompleted && TryComplete();
        }
    }

    /// <summary>Called by the timer when the timeout passes.</summary>
    internal void Expire()
    {
        if (ForceComplete())
        {
            OnExpiration();
        }
    }
}
