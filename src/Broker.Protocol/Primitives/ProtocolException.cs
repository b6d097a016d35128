namespace Broker.Protocol.Primitives;

/// <summary>
/// Malformed or lying wire input: truncated buffers, negative or oversized lengths, bad varints.
/// The connection layer turns this into Kafka's error or a logged connection close.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(string message) : base(message) { }
    public ProtocolException(string message, Exception inner) : base(message, inner) { }
}
