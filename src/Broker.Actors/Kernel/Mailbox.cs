using System.Collections.Concurrent;

namespace Broker.Actors.Kernel;

/// <summary>
/// An actor's two queues (system and user messages) plus the scheduled/closed state that guarantees
/// at most one thread runs the actor at a time. The mailbox is its own thread-pool work item.
/// </summary>
/// <remarks>
/// Wake-up protocol: a sender enqueues, then tries to flip Idle to Scheduled; the run clears Scheduled,
/// then re-checks the queues. Both sides use full fences (ConcurrentQueue.Enqueue, Interlocked), so a
/// message can never be left behind in an idle mailbox.
/// </remarks>
internal sealed class Mailbox : IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Scheduled = 1;
    private const int Closed = 2;

    private readonly ConcurrentQueue<Envelope> _user = new();
    private readonly ConcurrentQueue<SystemMessage> _system = new();
    private readonly Dispatcher _dispatcher;
    private readonly int _capacity;
    private ActorCell _cell = null!;
    private int _status;
    private int _count;

    // Touched only by the thread running the mailbox (failures, resume and stop are processed there).
    private int _suspendCount;

    public Mailbox(Dispatcher dispatcher, int throughput, int capacity)
    {
        _dispatcher = dispatcher;
        Throughput = throughput;
        _capacity = capacity;
    }

    /// <summary>Max user messages per run before the mailbox yields its thread to other actors.</summary>
    public int Throughput { get; }

    public bool IsClosed => (Volatile.Read(ref _status) & Closed) != 0;

    public bool IsSuspended => _suspendCount > 0;

    public bool HasSystemMessages => !_system.IsEmpty;

    public int UserCount => _capacity > 0 ? Volatile.Read(ref _count) : _user.Count;

    public void Attach(ActorCell cell) => _cell = cell;

    /// <summary>Bounded mailboxes refuse (the caller dead-letters) instead of blocking the sender.</summary>
    public bool TryEnqueue(in Envelope envelope)
    {
        if (_capacity > 0 && Interlocked.Increment(ref _count) > _capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }

        _user.Enqueue(envelope);
        return true;
    }

    public bool TryDequeue(out Envelope envelope)
    {
        if (!_user.TryDequeue(out envelope))
            return false;
        if (_capacity > 0)
            Interlocked.Decrement(ref _count);
        return true;
    }

    public void EnqueueSystem(SystemMessage message) => _system.Enqueue(message);

    public bool TryDequeueSystem(out SystemMessage message) => _system.TryDequeue(out message!);

    public void Suspend() => _suspendCount++;

    public void Resume()
    {
        if (_suspendCount > 0)
            _suspendCount--;
    }

    /// <summary>Terminal: no more runs; senders that see it dead-letter their message.</summary>
    public void Close() => Interlocked.Or(ref _status, Closed);

    /// <summary>Schedules a run unless one is already scheduled (the cheap, common case) or the mailbox is closed.</summary>
    public void Schedule()
    {
        if (Volatile.Read(ref _status) != Idle)
            return;
        if (Interlocked.CompareExchange(ref _status, Scheduled, Idle) == Idle)
            _dispatcher.Schedule(this);
    }

    public void Execute()
    {
        if (IsClosed)
            return;
        try
        {
            _cell.Run();
        }
        finally
        {
            Interlocked.And(ref _status, ~Scheduled);
            if (HasWork())
                Schedule();
        }
    }

    private bool HasWork() =>
        !IsClosed && (!_system.IsEmpty || (!IsSuspended && (!_user.IsEmpty || _cell.HasUnstashed)));
}
