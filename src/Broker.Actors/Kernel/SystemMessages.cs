namespace Broker.Actors.Kernel;

/// <summary>
/// Kernel-to-cell messages. They travel in a separate queue that is drained before (and between)
/// user messages and even while the actor is suspended after a failure, so supervision and stop
/// always get through a full or stalled mailbox.
/// </summary>
internal abstract class SystemMessage;

/// <summary>Instantiate the actor from Props and run PreStart.</summary>
internal sealed class Create : SystemMessage
{
    public static readonly Create Instance = new();
}

/// <summary>Stop: children first, then PostStop, then tell watchers and the parent.</summary>
internal sealed class Terminate : SystemMessage
{
    public static readonly Terminate Instance = new();
}

/// <summary>The parent's Resume directive: keep the instance and its state.</summary>
internal sealed class Resume(Exception cause) : SystemMessage
{
    public Exception Cause { get; } = cause;
}

/// <summary>The parent's Restart directive: a fresh instance from Props.</summary>
internal sealed class Recreate(Exception cause) : SystemMessage
{
    public Exception Cause { get; } = cause;
}

/// <summary>Child to parent: I failed and I am suspended until you decide.</summary>
internal sealed class Failed(LocalActorRef child, Exception cause) : SystemMessage
{
    public LocalActorRef Child { get; } = child;
    public Exception Cause { get; } = cause;
}

/// <summary>Child to parent: I am gone (after my PostStop), so my name is free.</summary>
internal sealed class ChildTerminated(LocalActorRef child) : SystemMessage
{
    public LocalActorRef Child { get; } = child;
}

/// <summary>Ask <see cref="Watchee"/> to send <see cref="Terminated"/> to <see cref="Watcher"/> when it stops.</summary>
internal sealed class Watch(ActorRef watchee, ActorRef watcher) : SystemMessage
{
    public ActorRef Watchee { get; } = watchee;
    public ActorRef Watcher { get; } = watcher;
}

/// <summary>Undo a <see cref="Watch"/>.</summary>
internal sealed class Unwatch(ActorRef watchee, ActorRef watcher) : SystemMessage
{
    public ActorRef Watchee { get; } = watchee;
    public ActorRef Watcher { get; } = watcher;
}
