namespace Broker.Actors.Kernel;

/// <summary>An Ask got no reply within its timeout.</summary>
public sealed class AskTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// The actor's constructor or PreStart (or PostRestart) threw. The default decider stops such an
/// actor: restarting something that cannot start would loop.
/// </summary>
public sealed class ActorInitializationException(ActorRef actor, string message, Exception? inner)
    : Exception(message, inner)
{
    /// <summary>The actor that failed to start.</summary>
    public ActorRef Actor { get; } = actor;
}

/// <summary>Raised by <see cref="Kill"/>.</summary>
public sealed class ActorKilledException(string message) : Exception(message);

/// <summary>
/// A watched actor stopped and the watcher did not handle <see cref="Terminated"/>: the watcher
/// fails too, so nothing silently depends on a dead actor.
/// </summary>
public sealed class DeathPactException(ActorRef dead) : Exception($"Unhandled Terminated for {dead.Path}")
{
    /// <summary>The watched actor that stopped.</summary>
    public ActorRef DeadActor { get; } = dead;
}

/// <summary>The child name is malformed or already taken by a live (or still stopping) child.</summary>
public sealed class InvalidActorNameException(string message) : ArgumentException(message);
