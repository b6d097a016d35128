using Broker.Protocol.Messages;

namespace Broker.Actors.Group.Consumer;

/// <summary>A request the group refuses, with the error code and message Kafka answers it with.</summary>
public sealed class ConsumerGroupException(ErrorCode error, string message) : Exception(message)
{
    public ErrorCode Error { get; } = error;
}
