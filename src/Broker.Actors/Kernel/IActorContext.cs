using Microsoft.Extensions.Logging;

namespace Broker.Actors.Kernel;

/// <summary>
/// What an actor may do to the world besides sending messages. Only valid on the actor's own thread,
/// i.e. inside its constructor, hooks and message handlers.
/// </summary>
public interface IActorContext
{
    /// <summary>This actor.</summary>
    ActorRef Self { get; }

    /// <summary>Sender of the message being processed (dead letters when there was none).</summary>
    ActorRef Sender { get; }

    /// <summary>The supervisor. The user guardian's parent is itself.</summary>
    ActorRef Parent { get; }

    /// <summary>The system hosting this actor.</summary>
    ActorSystem System { get; }

    /// <summary>The Props this actor was made from (and will be remade from on restart).</summary>
    Props Props { get; }

    /// <summary>A logger named after the actor class.</summary>
    ILogger Log { get; }

    /// <summary>Live children (including ones still stopping), a snapshot.</summary>
    IReadOnlyList<ActorRef> Children { get; }

    /// <summary>Timers that deliver messages to Self; all are cancelled on stop and restart.</summary>
    ITimerScheduler Timers { get; }

    /// <summary>Messages put aside until the actor is ready for them.</summary>
    IStash Stash { get; }

    /// <summary>Creates a supervised child. Names must be unique among live children; null picks one.</summary>
    ActorRef ActorOf(Props props, string? name = null);

    /// <summary>The live child with this name, or null.</summary>
    ActorRef? Child(string name);

    /// <summary>Stops an actor asynchronously (children first, then PostStop).</summary>
    void Stop(ActorRef actor);

    /// <summary>Death watch: Self receives <see cref="Terminated"/> when <paramref name="subject"/> stops (at once if it already has).</summary>
    ActorRef Watch(ActorRef subject);

    /// <summary>Cancels a watch; no Terminated is delivered afterwards, even if already in flight.</summary>
    ActorRef Unwatch(ActorRef subject);

    /// <summary>Replaces the message handler until <see cref="Unbecome"/> or a restart.</summary>
    void Become(Action<object> behavior);

    /// <summary>Returns to the actor's own OnReceive.</summary>
    void Unbecome();
}
