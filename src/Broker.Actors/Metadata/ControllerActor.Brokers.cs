using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

/// <summary>Broker membership: registration.</summary>
internal sealed partial class ControllerActor
{
    internal sealed record RegisterBroker(int NodeId, string Host, int Port, string? Rack) : ICommand;

    private ControllerResult HandleClusterCommand(ICommand command) => command switch
    {
        RegisterBroker m => HandleRegisterBroker(m),
        _ => throw new InvalidOperationException($"unknown controller command {command.GetType().Name}"),
    };

    private ControllerResult HandleRegisterBroker(RegisterBroker m)
    {
        var epoch = Image.Offset + 1;
        return new ControllerResult(
            [
                new RegisterBrokerRecord
                {
                    BrokerId = m.NodeId,
                    IncarnationId = Guid.NewGuid(),
                    BrokerEpoch = epoch,
                    Rack = m.Rack,
                    Fenced = false,
                    EndPoints = [new RegisterBrokerRecord.BrokerEndpoint { Name = "PLAINTEXT", Host = m.Host, Port = (ushort)m.Port, SecurityProtocol = 0 }],
                },
            ],
            _ => true);
    }

    private bool OnClusterMessage(object message) => false;

    private void OnCommitted()
    {
    }

    private void OnActivated()
    {
    }

    private void OnDeactivated()
    {
    }
}
