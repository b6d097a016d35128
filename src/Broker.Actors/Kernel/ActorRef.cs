namespace Broker.Actors.Kernel;

/// <summary>
/// The only handle other code holds to an actor: it can send messages, never touch state.
/// Refs are made only by the kernel (local actors, dead letters, ask promises), which is what lets
/// every ref know its system and answer death watch.
/// </summary>
public abstract class ActorRef
{
    private protected ActorRef(ActorPath path) => Path = path;

    /// <summary>Where the actor lives, e.g. <c>akka://broker/user/partition-foo-0</c>.</summary>
    public ActorPath Path { get; }

    internal abstract ActorSystem System { get; }

    /// <summary>
    /// Fire-and-forget send. When <paramref name="sender"/> is null and the caller is itself an actor
    /// processing a message, that actor is the sender (as in Akka), so <c>Sender.Tell(reply)</c> just works.
    /// Allocates nothing beyond the message.
    /// </summary>
    public void Tell(object message, ActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        Post(message, sender ?? ActorCell.CurrentSelf);
    }

    /// <summary>Forwards a message keeping the original sender.</summary>
    public void Forward(object message, ActorRef? originalSender) => Post(message, originalSender);

    /// <summary>Delivers without consulting the ambient sender (timers, pipes, the kernel itself).</summary>
    internal abstract void Post(object message, ActorRef? sender);

    /// <summary>
    /// Refs that are not actors cannot be watched: a watch on them is answered at once with
    /// <see cref="Terminated"/>, as Akka does for dead refs.
    /// </summary>
    internal virtual void SendSystemMessage(SystemMessage message)
    {
        if (message is Watch watch)
            watch.Watcher.Post(new DeathWatchNotification(this), this);
    }

    /// <inheritdoc/>
    public override string ToString() => Path.ToString();
}

/// <summary>The ref of an actor hosted by an <see cref="ActorCell"/> in this process.</summary>
internal sealed class LocalActorRef : ActorRef
{
    internal LocalActorRef(ActorCell cell, ActorPath path) : base(path) => Cell = cell;

    internal ActorCell Cell { get; }

    internal override ActorSystem System => Cell.System;

    internal override void Post(object message, ActorRef? sender) => Cell.Post(message, sender);

    internal override void SendSystemMessage(SystemMessage message) => Cell.SendSystemMessage(message);
}
