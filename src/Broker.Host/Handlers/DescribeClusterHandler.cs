using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// DescribeCluster (v0-1): the cluster id, the live brokers and a controller id. As a KRaft broker
/// does, it names a live broker as the controller (clients cannot reach the controller quorum);
/// asking a broker for controller endpoints gets UNSUPPORTED_ENDPOINT_TYPE.
/// </summary>
internal sealed class DescribeClusterHandler(BrokerNode node)
{
    private const sbyte BrokerEndpoints = 1;

    /// <summary>
    /// The operations a principal may perform on the cluster when no authorizer is configured:
    /// CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
    /// </summary>
    private const int ClusterOperations = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

    public void Handle(RequestContext request)
    {
        var describe = request.Decode<DescribeClusterRequest>();
        var image = node.Metadata.Current;
        var response = new DescribeClusterResponse
        {
            ClusterId = image.ClusterId,
            EndpointType = BrokerEndpoints,
        };
        if (describe.EndpointType != BrokerEndpoints)
        {
            response.ErrorCode = (short)ErrorCode.UnsupportedEndpointType;
            response.ErrorMessage = "The broker does not support DescribeCluster with endpoint type " + describe.EndpointType;
            request.Respond(response);
            return;
        }
        foreach (var broker in image.Brokers.Values)
        {
            if (broker.Fenced)
            {
                continue;
            }
            response.Brokers.Add(new DescribeClusterResponse.DescribeClusterBroker
            {
                BrokerId = broker.NodeId, Host = broker.Host, Port = broker.Port, Rack = broker.Rack,
            });
        }
        response.ControllerId = response.Brokers.Any(b => b.BrokerId == node.Settings.NodeId)
            ? node.Settings.NodeId
            : response.Brokers.Count > 0 ? response.Brokers[0].BrokerId : -1;
        if (describe.IncludeClusterAuthorizedOperations)
        {
            response.ClusterAuthorizedOperations = ClusterOperations;
        }
        request.Respond(response);
    }
}
