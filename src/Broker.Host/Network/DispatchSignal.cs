using System.Threading.Tasks.Sources;

namespace Broker.Host.Network;

/// <summary>
/// A reusable one-waiter signal: the connection's reader awaits it after queueing a request and the
/// I/O loop sets it once the request has been dispatched, so requests of one connection are
/// dispatched in order. Reused for every request, so waiting allocates nothing.
/// </summary>
internal sealed class DispatchSignal : IValueTaskSource
{
    // Continuations run on the thread pool so Set never runs the reader on an I/O loop's thread.
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>Waits for the next <see cref="Set"/> (which may already have happened).</summary>
    public ValueTask WaitAsync() => new(this, _core.Version);

    public void Set() => _core.SetResult(true);

    void IValueTaskSource.GetResult(short token)
    {
        _core.GetResult(token);
        _core.Reset();
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
