using Microsoft.Extensions.Logging;

namespace Broker.Actors.Kernel;

/// <summary>
/// Where undeliverable messages go: to stopped actors, overflowing bounded mailboxes, unhandled,
/// or replies nobody waits for any more. Counted, and logged without flooding.
/// </summary>
internal sealed class DeadLetterActorRef(ActorSystem system, ActorPath path) : ActorRef(path)
{
    internal override ActorSystem System { get; } = system;

    internal override void Post(object message, ActorRef? sender) => System.PublishDeadLetter(message, sender, this);
}

public sealed partial class ActorSystem
{
    private long _deadLetterCount;

    /// <summary>The dead-letter sink; also the <see cref="ActorBase"/> Sender when a message had none.</summary>
    public ActorRef DeadLetters { get; }

    /// <summary>Messages that could not be delivered (or were unhandled) since the system started.</summary>
    public long DeadLetterCount => Interlocked.Read(ref _deadLetterCount);

    internal void PublishDeadLetter(object message, ActorRef? sender, ActorRef recipient)
    {
        var count = Interlocked.Increment(ref _deadLetterCount);
        var level = count <= Settings.DeadLetterLogLimit ? LogLevel.Information : LogLevel.Debug;
        if (Log.IsEnabled(level))
        {
            Log.Log(level, "Dead letter #{Count}: {MessageType} from {Sender} to {Recipient}",
                count, message.GetType().Name, sender?.Path.ToString() ?? "no sender", recipient.Path);
        }
    }
}
