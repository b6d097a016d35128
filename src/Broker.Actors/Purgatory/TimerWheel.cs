namespace Broker.Actors.Purgatory;

/// <summary>
/// A hashed timing wheel for purgatory timeouts (Kafka's SystemTimer, single level): buckets of
/// intrusive doubly linked lists, one <see cref="Timer"/> callback per tick while anything is
/// pending, no thread and no allocation per operation. Completing an operation unlinks it at once,
/// so early completions (the common case) leave nothing behind. An operation whose deadline is more
/// than one revolution away stays in its bucket and is skipped until its tick comes.
/// </summary>
public sealed class TimerWheel : IDisposable
{
    private readonly Lock _lock = new();
    private readonly DelayedOperation?[] _buckets;
    private readonly long _tickTicks; // Stopwatch ticks per wheel tick
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly ITimer _timer;
    private readonly TimeSpan _tick;
    private long _processedTick;
    private int _count;
    private bool _running;
    private bool _disposed;

    public TimerWheel(TimeSpan? tick = null, int wheelSize = 512, TimeProvider? time = null)
    {
        _tick = tick ?? TimeSpan.FromMilliseconds(10);
        if (_tick <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(tick), _tick, "tick must be positive");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(wheelSize, 1);
        _time = time ?? TimeProvider.System;
        _buckets = new DelayedOperation?[wheelSize];
        _tickTicks = Math.Max(1, (long)(_tick.TotalSeconds * _time.TimestampFrequency));
        _start = _time.GetTimestamp();
        _timer = _time.CreateTimer(static s => ((TimerWheel)s!).AdvanceClock(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Operations waiting for their timeout.</summary>
    public int Count => Volatile.Read(ref _count);

    private long NowTick => (_time.GetTimestamp() - _start) / _tickTicks;

    /// <summary>Schedules <paramref name="operation"/>'s expiry after its <see cref="DelayedOperation.Timeout"/>.</summary>
    public void Add(DelayedOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var deadline = _time.GetTimestamp() - _start + (long)(operation.Timeout.TotalSeconds * _time.TimestampFrequency);
        // Rounded up: an operation never expires before its timeout.
        var deadlineTick = (deadline + _tickTicks - 1) / _tickTicks;
        var expireNow = false;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (operation.IsCompleted || operation.Wheel is not null)
            {
                return;
            }
            if (deadlineTick <= _processedTick)
            {
                expireNow = true;
            }
            else
            {
                var bucket = (int)(deadlineTick % _buckets.Length);
                operation.Wheel = this;
                operation.DeadlineTick = deadlineTick;
                operation.WheelBucket = bucket;
                operation.WheelPrevious = null;
                operation.WheelNext = _buckets[bucket];
                if (_buckets[bucket] is { } head)
                {
                    head.WheelPrevious = operation;
                }
                _buckets[bucket] = operation;
                _count++;
                if (!_running)
                {
                    _running = true;
                    _timer.Change(_tick, _tick);
                }
            }
        }
        if (expireNow)
        {
            operation.Expire();
        }
        else if (operation.IsCompleted)
        {
            // Completed while being added: ForceComplete may have looked before the link was made.
            Remove(operation);
        }
    }

    /// <summary>Unlinks a completed operation (called from <see cref="DelayedOperation.ForceComplete"/>).</summary>
    internal void Remove(DelayedOperation operation)
    {
        lock (_lock)
        {
            Unlink(operation);
        }
    }

    private void Unlink(DelayedOperation operation)
    {
        if (operation.Wheel != this || operation.WheelBucket < 0)
        {
            return;
        }
        if (operation.WheelPrevious is { } previous)
        {
            previous.WheelNext = operation.WheelNext;
        }
        else
        {
            _buckets[operation.WheelBucket] = operation.WheelNext;
        }
        if (operation.WheelNext is { } next)
        {
            next.WheelPrevious = operation.WheelPrevious;
        }
        operation.WheelPrevious = null;
        operation.WheelNext = null;
        operation.WheelBucket = -1;
        _count--;
    }

    /// <summary>Expires everything whose deadline has passed. Driven by the timer; callable directly.</summary>
    public void AdvanceClock()
    {
        List<DelayedOperation>? expired = null;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            var now = NowTick;
            // A late callback covers the ticks it missed; one revolution visits every bucket.
            var from = Math.Max(_processedTick + 1, now - _buckets.Length + 1);
            for (var t = from; t <= now; t++)
            {
                var operation = _buckets[(int)(t % _buckets.Length)];
                while (operation is not null)
                {
                    var next = operation.WheelNext;
                    if (operation.DeadlineTick <= now)
                    {
                        Unlink(operation);
                        (expired ??= []).Add(operation);
                    }
                    operation = next;
                }
            }
            _processedTick = Math.Max(_processedTick, now);
            if (_count == 0 && _running)
            {
                _running = false;
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
        // Completion callbacks run outside the wheel's lock: they may add operations or send responses.
        if (expired is not null)
        {
            foreach (var operation in expired)
            {
                operation.Expire();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }
        _timer.Dispose();
    }
}
