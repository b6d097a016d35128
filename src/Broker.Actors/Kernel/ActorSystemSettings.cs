namespace Broker.Actors.Kernel;

/// <summary>System-wide defaults; Props can override throughput, mailbox and dispatcher per actor.</summary>
public sealed record ActorSystemSettings
{
    /// <summary>Messages per mailbox run before yielding the thread (Akka's dispatcher throughput).</summary>
    public int DefaultThroughput { get; init; } = 64;

    /// <summary>Where mailboxes run by default.</summary>
    public Dispatcher Dispatcher { get; init; } = ThreadPoolDispatcher.Instance;

    /// <summary>Clock for timers, Ask timeouts and restart windows; swap in a fake for deterministic tests.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Ask timeout when the caller gives none.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Dead letters logged at Information before the log drops to Debug (the count keeps going).</summary>
    public int DeadLetterLogLimit { get; init; } = 10;
}
