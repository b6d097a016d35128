using Broker.Actors.Metadata;
using Broker.Host.Network.Client;
using Broker.Protocol.Messages;

namespace Broker.Host.Replication;

/// <summary>Replica fetches over the node's outbound <see cref="NodeConnectionPool"/>, to the address the
/// source broker registered in the metadata image.</summary>
internal sealed class NodeConnectionFetchTransport(NodeConnectionPool pool, Func<MetadataImage> image) : IReplicaFetchTransport
{
    public async Task<FetchResponse> FetchAsync(int brokerId, FetchRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!image().Brokers.TryGetValue(brokerId, out var broker) || broker.Port <= 0)
        {
            throw new NodeConnectionException($"broker {brokerId} is not registered");
        }
        var connection = await pool.GetAsync(broker.Host, broker.Port, cancellationToken).ConfigureAwait(false);
        try
        {
            return await connection.SendAsync<FetchResponse>(request, ReplicaFetcher.FetchVersion, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeConnectionException)
        {
            // A timed-out request leaves the connection in doubt: start over on a fresh one.
            await pool.ResetAsync(broker.Host, broker.Port).ConfigureAwait(false);
            throw;
        }
    }
}
