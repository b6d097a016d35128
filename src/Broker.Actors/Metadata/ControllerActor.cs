using Broker.Actors.Configs;
using Broker.Actors.Kernel;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

/// <summary>
/// The controller's single writer: one command at a time, each validated against the current
/// image and committed as one batch of metadata records.
/// </summary>
internal sealed partial class ControllerActor(ControllerState state) : ActorBase
{
    internal sealed record CreateTopics(IReadOnlyList<NewTopic> Topics, bool ValidateOnly);
    internal sealed record DeleteTopics(IReadOnlyList<TopicRef> Topics);
    internal sealed record CreatePartitions(IReadOnlyList<NewPartitions> Requests, bool ValidateOnly);
    internal sealed record AlterConfigs(IReadOnlyList<ConfigChange> Changes, bool Incremental, bool ValidateOnly);
    internal sealed record RegisterBroker(int NodeId, string Host, int Port, string? Rack);
    internal sealed record AllocateProducerId
    {
        public static readonly AllocateProducerId Instance = new();
    }

    private const int ProducerIdBlockSize = 1000;
    private long _nextProducerId = -1;
    private long _producerIdBlockEnd = -1;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case CreateTopics m:
                Sender.Tell(HandleCreateTopics(m));
                break;
            case DeleteTopics m:
                Sender.Tell(HandleDeleteTopics(m));
                break;
            case CreatePartitions m:
                Sender.Tell(HandleCreatePartitions(m));
                break;
            case AlterConfigs m:
                Sender.Tell(HandleAlterConfigs(m));
                break;
            case RegisterBroker m:
                state.Commit([
                    new RegisterBrokerRecord
                    {
                        BrokerId = m.NodeId,
                        IncarnationId = Guid.NewGuid(),
                        BrokerEpoch = state.Log.EndOffset,
                        Rack = m.Rack,
                        Fenced = false,
                        EndPoints = [new RegisterBrokerRecord.BrokerEndpoint { Name = "PLAINTEXT", Host = m.Host, Port = (ushort)m.Port, SecurityProtocol = 0 }],
                    },
                ]);
                Sender.Tell(true);
                break;
            case AllocateProducerId:
                Sender.Tell(NextProducerId());
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private long NextProducerId()
    {
        if (_nextProducerId < 0 || _nextProducerId >= _producerIdBlockEnd)
        {
            // Reserve a block in the log first, so ids are never reused after a restart.
            var start = state.Image.NextProducerId;
            state.Commit([new ProducerIdsRecord { BrokerId = state.Settings.NodeId, BrokerEpoch = -1, NextProducerId = start + ProducerIdBlockSize }]);
            _nextProducerId = start;
            _producerIdBlockEnd = start + ProducerIdBlockSize;
        }
        return _nextProducerId++;
    }

    private static TopicResult Error(string name, ErrorCode code, string message) =>
        new(name, Guid.Empty, (short)code, message);
}
