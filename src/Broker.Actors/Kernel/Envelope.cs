namespace Broker.Actors.Kernel;

/// <summary>
/// A user message and its sender, stored by value in the mailbox queue so a Tell allocates nothing
/// beyond the message itself.
/// </summary>
internal readonly struct Envelope(object message, ActorRef? sender)
{
    public readonly object Message = message;
    public readonly ActorRef? Sender = sender;
}
