namespace Broker.Actors.Kernel;

/// <summary>What a supervisor does with a failed child.</summary>
public enum Directive
{
    /// <summary>Keep the instance and its state; drop the message that failed.</summary>
    Resume,

    /// <summary>Replace the instance with a fresh one from Props (state reloads in PreStart).</summary>
    Restart,

    /// <summary>Stop the child for good.</summary>
    Stop,

    /// <summary>Fail the supervisor itself with the same exception and let its parent decide.</summary>
    Escalate,
}

/// <summary>
/// Decides, per failure, what happens to the failing child (one-for-one) or to all children
/// (all-for-one). Restarts are rationed: more than maxNrOfRetries within the window stops the child,
/// so a poison message or a broken disk does not spin forever.
/// </summary>
public abstract class SupervisorStrategy
{
    private readonly Func<Exception, Directive> _decider;

    private protected SupervisorStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Func<Exception, Directive> decider)
    {
        ArgumentNullException.ThrowIfNull(decider);
        MaxNrOfRetries = maxNrOfRetries;
        WithinTimeRange = withinTimeRange;
        _decider = decider;
    }

    /// <summary>Restart on any exception, without limit; stop on the exceptions that restarting cannot fix.</summary>
    public static SupervisorStrategy DefaultStrategy { get; } = new OneForOneStrategy(DefaultDecider);

    /// <summary>Stop on any exception.</summary>
    public static SupervisorStrategy StoppingStrategy { get; } = new OneForOneStrategy(_ => Directive.Stop);

    /// <summary>Max restarts within <see cref="WithinTimeRange"/>; negative means unlimited.</summary>
    public int MaxNrOfRetries { get; }

    /// <summary>The window for counting restarts; <see cref="Timeout.InfiniteTimeSpan"/> counts forever.</summary>
    public TimeSpan WithinTimeRange { get; }

    /// <summary>Akka's default: start/kill/death-pact failures stop the child, everything else restarts it.</summary>
    public static Directive DefaultDecider(Exception exception) => exception switch
    {
        ActorInitializationException => Directive.Stop,
        ActorKilledException => Directive.Stop,
        DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    /// <summary>The directive for <paramref name="exception"/>.</summary>
    public Directive Decide(Exception exception) => _decider(exception);

    /// <summary>Applies Restart or Stop to the failed child and, for all-for-one, its siblings.</summary>
    internal abstract void ProcessFailure(ActorCell supervisor, bool restart, ChildInfo failed, Exception cause);
}

/// <summary>Only the failing child is affected.</summary>
public sealed class OneForOneStrategy : SupervisorStrategy
{
    /// <summary>At most <paramref name="maxNrOfRetries"/> restarts within <paramref name="withinTimeRange"/>; then stop.</summary>
    public OneForOneStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Func<Exception, Directive> decider)
        : base(maxNrOfRetries, withinTimeRange, decider)
    {
    }

    /// <summary>Unlimited restarts.</summary>
    public OneForOneStrategy(Func<Exception, Directive> decider)
        : base(-1, Timeout.InfiniteTimeSpan, decider)
    {
    }

    internal override void ProcessFailure(ActorCell supervisor, bool restart, ChildInfo failed, Exception cause)
    {
        if (restart && failed.Stats.RequestRestartPermission(MaxNrOfRetries, WithinTimeRange, supervisor.System.TimeProvider))
            failed.Ref.SendSystemMessage(new Recreate(cause));
        else
            supervisor.Stop(failed.Ref);
    }
}

/// <summary>The failing child's siblings share its fate (for children that only make sense together).</summary>
public sealed class AllForOneStrategy : SupervisorStrategy
{
    /// <summary>At most <paramref name="maxNrOfRetries"/> restarts within <paramref name="withinTimeRange"/>; then stop all.</summary>
    public AllForOneStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Func<Exception, Directive> decider)
        : base(maxNrOfRetries, withinTimeRange, decider)
    {
    }

    /// <summary>Unlimited restarts.</summary>
    public AllForOneStrategy(Func<Exception, Directive> decider)
        : base(-1, Timeout.InfiniteTimeSpan, decider)
    {
    }

    internal override void ProcessFailure(ActorCell supervisor, bool restart, ChildInfo failed, Exception cause)
    {
        var children = supervisor.LiveChildInfos();
        var permitted = restart;
        foreach (var child in children)
            permitted &= child.Stats.RequestRestartPermission(MaxNrOfRetries, WithinTimeRange, supervisor.System.TimeProvider);
        foreach (var child in children)
        {
            if (permitted)
                child.Ref.SendSystemMessage(new Recreate(cause));
            else
                supervisor.Stop(child.Ref);
        }
    }
}

/// <summary>Restart bookkeeping for one child, kept by its parent across the child's incarnations.</summary>
internal sealed class ChildRestartStats
{
    private int _retries;
    private long _windowStart;

    /// <summary>Akka's rule: count restarts inside the window; a restart outside it opens a new window.</summary>
    public bool RequestRestartPermission(int maxNrOfRetries, TimeSpan window, TimeProvider time)
    {
        if (maxNrOfRetries == 0)
            return false;
        var windowed = window > TimeSpan.Zero && window != Timeout.InfiniteTimeSpan;
        if (!windowed)
            return maxNrOfRetries < 0 || ++_retries <= maxNrOfRetries;

        var now = time.GetTimestamp();
        if (_windowStart == 0)
            _windowStart = now;
        if (time.GetElapsedTime(_windowStart, now) <= window)
            return maxNrOfRetries < 0 || ++_retries <= maxNrOfRetries;

        _windowStart = now;
        _retries = 1;
        return true;
    }
}
