namespace Broker.Actors.Kernel;

/// <summary>Messages the cell handles itself before the actor sees them.</summary>
internal interface IAutoReceivedMessage;

/// <summary>Stops the actor when processed, i.e. after the messages queued before it.</summary>
public sealed class PoisonPill : IAutoReceivedMessage
{
    /// <summary>The single instance.</summary>
    public static readonly PoisonPill Instance = new();

    private PoisonPill()
    {
    }
}

/// <summary>Makes the actor fail with <see cref="ActorKilledException"/> (default decision: stop).</summary>
public sealed class Kill : IAutoReceivedMessage
{
    /// <summary>The single instance.</summary>
    public static readonly Kill Instance = new();

    private Kill()
    {
    }
}

/// <summary>
/// Death watch notification: <see cref="ActorRef"/> has stopped. Delivered as an ordinary message,
/// after every message the dead actor sent to the watcher.
/// </summary>
public sealed class Terminated(ActorRef actorRef)
{
    /// <summary>The actor that stopped.</summary>
    public ActorRef ActorRef { get; } = actorRef;

    /// <inheritdoc/>
    public override string ToString() => $"Terminated({ActorRef.Path})";
}

/// <summary>Replies that carry an outcome rather than a value (Akka's Status).</summary>
public static class Status
{
    /// <summary>Success without a value, e.g. a piped non-generic Task.</summary>
    public sealed record Success(object? Value);

    /// <summary>A failed outcome; Ask rethrows <see cref="Cause"/>.</summary>
    public sealed record Failure(Exception Cause);
}

/// <summary>
/// What a stopped actor actually sends its watchers. The watcher's cell turns it into
/// <see cref="Terminated"/> only if it still watches the sender, which makes Unwatch and duplicate
/// notices safe while a forwarded Terminated stays an ordinary message.
/// </summary>
internal sealed class DeathWatchNotification(ActorRef actorRef) : IAutoReceivedMessage
{
    public ActorRef ActorRef { get; } = actorRef;
}
