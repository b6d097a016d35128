namespace Broker.Actors.Kernel;

/// <summary>
/// The recipe for an actor: how to build a fresh instance (every restart calls it again, which is
/// how a restarted partition actor reloads its state from disk) and how its mailbox runs.
/// Immutable; the With* methods return copies.
/// </summary>
public sealed class Props
{
    private readonly Func<ActorBase> _factory;

    private Props(Type actorType, Func<ActorBase> factory)
    {
        ActorType = actorType;
        _factory = factory;
    }

    /// <summary>The actor class, for logs.</summary>
    public Type ActorType { get; }

    /// <summary>Max messages per mailbox run; 0 means the system default (64).</summary>
    public int Throughput { get; private init; }

    /// <summary>Max queued user messages; 0 means unbounded. When full, Tell dead-letters instead of blocking.</summary>
    public int MailboxCapacity { get; private init; }

    /// <summary>Where the mailbox runs; null means the system's dispatcher.</summary>
    public Dispatcher? Dispatcher { get; private init; }

    /// <summary>Props for an actor with a parameterless constructor.</summary>
    public static Props Create<T>() where T : ActorBase, new() => new(typeof(T), static () => new T());

    /// <summary>Props from a factory; the factory runs once per incarnation, so it must build a new instance each time.</summary>
    public static Props Create<T>(Func<T> factory) where T : ActorBase
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(typeof(T), factory);
    }

    /// <summary>Caps the messages processed per run so a hot actor yields its thread.</summary>
    public Props WithThroughput(int throughput)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(throughput);
        return new Props(ActorType, _factory) { Throughput = throughput, MailboxCapacity = MailboxCapacity, Dispatcher = Dispatcher };
    }

    /// <summary>A bounded mailbox: overflow goes to dead letters (counted), so a slow actor cannot exhaust memory.</summary>
    public Props WithBoundedMailbox(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        return new Props(ActorType, _factory) { Throughput = Throughput, MailboxCapacity = capacity, Dispatcher = Dispatcher };
    }

    /// <summary>Runs the mailbox on <paramref name="dispatcher"/> instead of the system's.</summary>
    public Props WithDispatcher(Dispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        return new Props(ActorType, _factory) { Throughput = Throughput, MailboxCapacity = MailboxCapacity, Dispatcher = dispatcher };
    }

    internal ActorBase NewActor() => _factory() ?? throw new InvalidOperationException($"Props factory for {ActorType} returned null");
}
