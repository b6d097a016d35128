namespace Broker.Actors.Kernel;

/// <summary>
/// An actor that declares its handlers in the constructor with <c>Receive&lt;T&gt;(...)</c>; the first
/// matching registration wins. Registrations allocate once; dispatch is a type test per handler.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    private readonly List<Func<object, bool>> _handlers = [];

    /// <summary>Handles messages of type <typeparamref name="T"/> (optionally only those matching <paramref name="shouldHandle"/>).</summary>
    protected void Receive<T>(Action<T> handler, Predicate<T>? shouldHandle = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handlers.Add(shouldHandle is null
            ? m =>
            {
                if (m is not T t)
                    return false;
                handler(t);
                return true;
            }
            : m =>
            {
                if (m is not T t || !shouldHandle(t))
                    return false;
                handler(t);
                return true;
            });
    }

    /// <summary>Handles anything not matched by earlier registrations.</summary>
    protected void ReceiveAny(Action<object> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handlers.Add(m =>
        {
            handler(m);
            return true;
        });
    }

    /// <inheritdoc/>
    protected sealed override void OnReceive(object message)
    {
        var handlers = _handlers;
        for (var i = 0; i < handlers.Count; i++)
        {
            if (handlers[i](message))
                return;
        }

        Unhandled(message);
    }
}
