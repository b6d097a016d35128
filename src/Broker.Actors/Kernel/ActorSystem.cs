using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Actors.Kernel;

/// <summary>
/// The root of an actor hierarchy: top-level actors live under <c>/user</c>, supervised by the user
/// guardian. <see cref="Terminate"/> stops the guardian, which stops every actor children-first.
/// </summary>
public sealed partial class ActorSystem : IAsyncDisposable
{
    private readonly ActorCell _guardian;
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ActorPath _tempPath;
    private long _tempCounter;

    private ActorSystem(string name, ILoggerFactory loggerFactory, ActorSystemSettings settings)
    {
        Name = name;
        LoggerFactory = loggerFactory;
        Settings = settings;
        Log = loggerFactory.CreateLogger("Broker.Actors.Kernel.ActorSystem");
        var root = ActorPath.Root(name);
        _tempPath = root.Child("temp");
        DeadLetters = new DeadLetterActorRef(this, root.Child("deadLetters"));
        _guardian = new ActorCell(this, Props.Create<GuardianActor>(), null, root.Child("user"));
        _guardian.Start();
    }

    /// <summary>The system name, the authority of every path (<c>akka://name/...</c>).</summary>
    public string Name { get; }

    /// <summary>Source of every actor's logger.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Defaults for mailboxes, timers and Ask.</summary>
    public ActorSystemSettings Settings { get; }

    /// <summary>The clock of timers and Ask timeouts.</summary>
    public TimeProvider TimeProvider => Settings.TimeProvider;

    /// <summary>Completes once every actor has stopped.</summary>
    public Task WhenTerminated => _terminated.Task;

    internal ILogger Log { get; }

    /// <summary>Creates a system. Without a logger factory nothing is logged.</summary>
    public static ActorSystem Create(string name, ILoggerFactory? loggerFactory = null, ActorSystemSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('/', StringComparison.Ordinal))
            throw new ArgumentException("system name must not contain '/'", nameof(name));
        return new ActorSystem(name, loggerFactory ?? NullLoggerFactory.Instance, settings ?? new ActorSystemSettings());
    }

    /// <summary>Creates a top-level actor at <c>/user/name</c>.</summary>
    public ActorRef ActorOf(Props props, string? name = null) => _guardian.ActorOf(props, name);

    /// <summary>Stops any actor (asynchronously; watch it to know when).</summary>
    public void Stop(ActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.SendSystemMessage(Kernel.Terminate.Instance);
    }

    /// <summary>Stops every actor, children before parents, each running PostStop; completes when done.</summary>
    public Task Terminate()
    {
        _guardian.SendSystemMessage(Kernel.Terminate.Instance);
        return WhenTerminated;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await Terminate().ConfigureAwait(false);

    internal ActorPath NextTempPath() => _tempPath.Child("$" + Interlocked.Increment(ref _tempCounter).ToString(System.Globalization.CultureInfo.InvariantCulture));

    internal void OnGuardianTerminated() => _terminated.TrySetResult();

    /// <summary>The parent of top-level actors; it only supervises (default strategy).</summary>
    private sealed class GuardianActor : ActorBase
    {
        protected override void OnReceive(object message) => Unhandled(message);
    }
}
