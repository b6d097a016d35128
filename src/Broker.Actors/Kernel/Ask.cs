using System.Runtime.ExceptionServices;

namespace Broker.Actors.Kernel;

/// <summary>
/// A one-shot temporary ref (<c>akka://sys/temp/$n</c>) that completes a task with the first message
/// it receives. Later messages (a reply after the timeout) become dead letters.
/// </summary>
internal sealed class PromiseActorRef : ActorRef
{
    private readonly TaskCompletionSource<object> _promise = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PromiseActorRef(ActorSystem system) : base(system.NextTempPath()) => System = system;

    internal override ActorSystem System { get; }

    public Task<object> Task => _promise.Task;

    internal override void Post(object message, ActorRef? sender)
    {
        if (!_promise.TrySetResult(message))
            System.PublishDeadLetter(message, sender, this);
    }

    public void Expire() => _promise.TrySetCanceled();
}

/// <summary>Request/response on top of Tell. Allocates a promise per call; keep it off per-record paths.</summary>
public static class AskExtensions
{
    /// <summary>
    /// Sends <paramref name="message"/> with a temporary ref as sender and awaits the first reply.
    /// A <see cref="Status.Failure"/> reply rethrows its cause; no reply within the timeout
    /// (default: the system's AskTimeout) throws <see cref="AskTimeoutException"/>.
    /// </summary>
    public static async Task<T> Ask<T>(this ActorRef target, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var system = target.System;
        var wait = timeout ?? system.Settings.AskTimeout;
        var promise = new PromiseActorRef(system);
        target.Post(message, promise);
        object reply;
        try
        {
            reply = await promise.Task.WaitAsync(wait, system.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            promise.Expire();
            throw new AskTimeoutException($"Ask to {target.Path} timed out after {wait} waiting for {typeof(T).Name} (message {message.GetType().Name})");
        }
        catch (OperationCanceledException)
        {
            promise.Expire();
            throw;
        }

        // Failure first: for Ask<object> a Status.Failure must still throw, not come back as a value.
        switch (reply)
        {
            case Status.Failure failure:
                ExceptionDispatchInfo.Throw(failure.Cause);
                throw null!; // unreachable
            case T value:
                return value;
            default:
                throw new InvalidCastException($"Ask to {target.Path} expected {typeof(T).Name} but got {reply.GetType().Name}");
        }
    }

    /// <summary>Ask for any reply.</summary>
    public static Task<object> Ask(this ActorRef target, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        target.Ask<object>(message, timeout, cancellationToken);
}
