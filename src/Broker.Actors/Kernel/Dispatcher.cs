using System.Collections.Concurrent;

namespace Broker.Actors.Kernel;

/// <summary>
/// Runs mailboxes. The default is the .NET thread pool; a single-thread dispatcher exists for tests
/// and for actors that must not compete with the pool (fairness between hot actors is then exact).
/// </summary>
public abstract class Dispatcher
{
    /// <summary>Queues one mailbox run. Must not allocate: it is called once per idle-to-busy transition.</summary>
    public abstract void Schedule(IThreadPoolWorkItem work);
}

/// <summary>
/// The thread pool with <see cref="ThreadPool.UnsafeQueueUserWorkItem(IThreadPoolWorkItem, bool)"/>:
/// the mailbox itself is the work item, so scheduling allocates nothing and does not capture the
/// ExecutionContext of whoever happened to send the waking message.
/// </summary>
public sealed class ThreadPoolDispatcher : Dispatcher
{
    /// <summary>The shared instance.</summary>
    public static readonly ThreadPoolDispatcher Instance = new();

    private ThreadPoolDispatcher()
    {
    }

    /// <inheritdoc/>
    public override void Schedule(IThreadPoolWorkItem work) => ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
}

/// <summary>
/// One dedicated thread running mailboxes in FIFO order. Deterministic interleaving for tests
/// (two hot actors alternate every throughput-cap messages) and isolation for latency-critical actors.
/// </summary>
public sealed class SingleThreadDispatcher : Dispatcher, IDisposable
{
    private readonly BlockingCollection<IThreadPoolWorkItem> _queue = new(new ConcurrentQueue<IThreadPoolWorkItem>());
    private readonly Thread _thread;

    /// <summary>Starts the thread.</summary>
    public SingleThreadDispatcher(string name = "actor-dispatcher")
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <inheritdoc/>
    public override void Schedule(IThreadPoolWorkItem work)
    {
        if (!_queue.TryAdd(work))
            throw new ObjectDisposedException(nameof(SingleThreadDispatcher));
    }

    private void Run()
    {
        foreach (var work in _queue.GetConsumingEnumerable())
            work.Execute();
    }

    /// <summary>Stops accepting work and lets the thread finish what is queued.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        if (Thread.CurrentThread != _thread)
            _thread.Join(TimeSpan.FromSeconds(5));
    }
}
