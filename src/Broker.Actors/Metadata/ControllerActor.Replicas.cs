namespace Broker.Actors.Metadata;

/// <summary>Leader elections and reassignments asked for by admins.</summary>
internal sealed partial class ControllerActor
{
    private ControllerResult HandleReplicaCommand(ICommand command) => command switch
    {
        _ => throw new InvalidOperationException($"unknown controller command {command.GetType().Name}"),
    };
}
