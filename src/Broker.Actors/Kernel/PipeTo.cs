namespace Broker.Actors.Kernel;

/// <summary>
/// Lets an actor start async work (I/O, an Ask) without blocking its mailbox: the outcome comes back
/// later as a message. Never await inside OnReceive; pipe instead, so state is only touched on the
/// actor's own thread.
/// </summary>
public static class PipeToExtensions
{
    /// <summary>
    /// When <paramref name="task"/> completes, tells <paramref name="recipient"/> <c>success(result)</c>
    /// (default: the result) or <c>failure(exception)</c> (default: <see cref="Status.Failure"/>).
    /// </summary>
    public static Task PipeTo<T>(this Task<T> task, ActorRef recipient, ActorRef? sender = null,
        Func<T, object>? success = null, Func<Exception, object>? failure = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(recipient);
        return task.ContinueWith(
            static (t, state) =>
            {
                var (recipient, sender, success, failure) = ((ActorRef, ActorRef?, Func<T, object>?, Func<Exception, object>?))state!;
                object message;
                if (t.IsCompletedSuccessfully)
                    message = success is null ? (object?)t.Result ?? new Status.Success(null) : success(t.Result);
                else
                    message = Fail(t, failure);
                recipient.Post(message, sender);
            },
            (recipient, sender, success, failure),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>As above for a Task without a result: success defaults to <see cref="Status.Success"/>.</summary>
    public static Task PipeTo(this Task task, ActorRef recipient, ActorRef? sender = null,
        Func<object>? success = null, Func<Exception, object>? failure = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(recipient);
        return task.ContinueWith(
            static (t, state) =>
            {
                var (recipient, sender, success, failure) = ((ActorRef, ActorRef?, Func<object>?, Func<Exception, object>?))state!;
                var message = t.IsCompletedSuccessfully ? success?.Invoke() ?? new Status.Success(null) : Fail(t, failure);
                recipient.Post(message, sender);
            },
            (recipient, sender, success, failure),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private static object Fail(Task task, Func<Exception, object>? failure)
    {
        Exception exception = task.IsCanceled
            ? new TaskCanceledException(task)
            : task.Exception!.InnerExceptions.Count == 1 ? task.Exception.InnerExceptions[0] : task.Exception;
        return failure is null ? new Status.Failure(exception) : failure(exception);
    }
}
