using Microsoft.Extensions.Logging;

namespace Broker.Actors.Kernel;

/// <summary>
/// Base class of every actor. The kernel guarantees OnReceive runs for one message at a time, so the
/// actor's fields need no locks. Instances are only created by the kernel from <see cref="Props"/>.
/// </summary>
public abstract class ActorBase
{
    private readonly ActorCell _cell;

    /// <summary>Binds to the cell that is creating this instance (set for the duration of the Props factory).</summary>
    protected ActorBase()
    {
        _cell = ActorCell.Creating ?? throw new InvalidOperationException(
            $"{GetType().Name} must be created by ActorOf with Props, not with new");
    }

    /// <summary>This actor.</summary>
    protected ActorRef Self => _cell.Self;

    /// <summary>Sender of the current message; dead letters when there was none.</summary>
    protected ActorRef Sender => _cell.Sender;

    /// <summary>Children, timers, watch, stash.</summary>
    protected IActorContext Context => _cell;

    /// <summary>A logger named after the actor class.</summary>
    protected ILogger Log => _cell.Log;

    /// <summary>Handles one message. Throwing hands the failure to the parent's supervisor strategy.</summary>
    protected abstract void OnReceive(object message);

    /// <summary>Runs before the first message of each incarnation; load state here (e.g. from disk).</summary>
    protected virtual void PreStart()
    {
    }

    /// <summary>Runs once the actor and all its children have stopped; release resources here.</summary>
    protected virtual void PostStop()
    {
    }

    /// <summary>
    /// Runs on the failed instance before it is replaced. The default stops the children and calls
    /// PostStop, so the new instance starts from a clean slate.
    /// </summary>
    protected virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in Context.Children)
            Context.Stop(child);
        PostStop();
    }

    /// <summary>Runs on the fresh instance after a restart. The default calls PreStart.</summary>
    protected virtual void PostRestart(Exception reason) => PreStart();

    /// <summary>How this actor supervises its children. Called once per failure.</summary>
    protected virtual SupervisorStrategy SupervisorStrategy() => Kernel.SupervisorStrategy.DefaultStrategy;

    /// <summary>
    /// For messages the actor does not understand: an unhandled <see cref="Terminated"/> fails the actor
    /// (<see cref="DeathPactException"/>); anything else is logged and counted as a dead letter.
    /// </summary>
    protected void Unhandled(object message) => _cell.Unhandled(message);

    internal void AroundReceive(object message) => OnReceive(message);

    internal void AroundPreStart() => PreStart();

    internal void AroundPostStop() => PostStop();

    internal void AroundPreRestart(Exception reason, object? message) => PreRestart(reason, message);

    internal void AroundPostRestart(Exception reason) => PostRestart(reason);

    internal SupervisorStrategy GetSupervisorStrategy() => SupervisorStrategy();
}
