using Broker.Actors.Configs;
using Broker.Actors.Metadata;

namespace Broker.Host;

public sealed partial class BrokerNode
{
    private Task<IMetadataController> StartControllerAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_sharedController is not null)
        {
            return Task.FromResult(_sharedController);
        }
        IMetadataController controller = QuorumController.Start(System, new ControllerSettings(
            Settings.MetadataLogDir,
            Settings.LogDirs,
            Settings.NodeId,
            Settings.NumPartitions,
            Settings.DefaultReplicationFactor,
            Settings.Values));
        return Task.FromResult(controller);
    }

    /// <summary>Registers this broker with the controller under its advertised address.</summary>
    private async Task RegisterAsync(int boundPort)
    {
        var advertised = Settings.AdvertisedListeners.Count > 0 ? Settings.AdvertisedListeners[0] : Settings.Listeners[0];
        var host = advertised.Host is "0.0.0.0" or "" or "::" ? "127.0.0.1" : advertised.Host;
        var port = advertised.Port == 0 ? boundPort : advertised.Port;
        await ((QuorumController)Controller).RegisterBrokerAsync(Settings.NodeId, host, port, Settings.BrokerRack).ConfigureAwait(false);
    }
}
