using Broker.Actors.Kernel;
using Broker.Actors.Raft.Runtime;
using Broker.Actors.Raft.Wire;
using Broker.Host.Network;
using Broker.Protocol.Messages;
using RaftErrors = Broker.Actors.Raft.RaftErrors;

namespace Broker.Host.Handlers;

/// <summary>
/// The KRaft APIs: Vote (52), BeginQuorumEpoch (53), EndQuorumEpoch (54), DescribeQuorum (55),
/// FetchSnapshot (59) and Fetch of <c>__cluster_metadata</c>-0. Each request is translated for the node's
/// RaftActor and answered whenever the core replies (a follower's fetch may wait for new entries).
/// A node without a Raft quorum (the single-node local log) answers with an error.
/// </summary>
internal sealed class RaftHandlers(Func<RaftQuorumEndpoint?> quorum)
{
    /// <summary>The APIs and versions served (ApiVersions).</summary>
    public static readonly (ApiKey Key, short Min, short Max)[] Apis =
    [
        (ApiKey.Vote, 0, VoteRequest.HighestVersion),
        (ApiKey.BeginQuorumEpoch, 0, BeginQuorumEpochRequest.HighestVersion),
        (ApiKey.EndQuorumEpoch, 0, EndQuorumEpochRequest.HighestVersion),
        (ApiKey.DescribeQuorum, 0, DescribeQuorumRequest.HighestVersion),
        (ApiKey.FetchSnapshot, 0, FetchSnapshotRequest.HighestVersion),
    ];

    public void Handle(RequestContext request)
    {
        IKafkaMessage decoded = request.ApiKey switch
        {
            ApiKey.Vote => request.Decode<VoteRequest>(),
            ApiKey.BeginQuorumEpoch => request.Decode<BeginQuorumEpochRequest>(),
            ApiKey.EndQuorumEpoch => request.Decode<EndQuorumEpochRequest>(),
            ApiKey.DescribeQuorum => request.Decode<DescribeQuorumRequest>(),
            ApiKey.FetchSnapshot => request.Decode<FetchSnapshotRequest>(),
            _ => throw new ArgumentException($"not a Raft api: {request.ApiKey}"),
        };
        Forward(request, decoded);
    }

    /// <summary>Takes a Fetch of <c>__cluster_metadata</c>-0 (the KRaft replication path); false for any other fetch.</summary>
    public bool TryHandleFetch(RequestContext request, FetchRequest fetch)
    {
        if (!RaftWire.IsMetadataFetch(fetch))
        {
            return false;
        }
        Forward(request, fetch);
        return true;
    }

    private void Forward(RequestContext request, IKafkaMessage decoded)
    {
        var endpoint = quorum();
        if (endpoint is null)
        {
            request.Respond(RaftWire.ErrorResponse(decoded, RaftErrors.BrokerNotAvailable));
            return;
        }
        if (!RaftWire.TryFromWireRequest(decoded, request.Body, request.ApiVersion, out var message, out var source))
        {
            request.Respond(RaftWire.ErrorResponse(decoded, (short)ErrorCode.UnknownTopicOrPartition));
            return;
        }
        endpoint.Actor.Tell(new RaftInbound(source, message, response =>
        {
            var wire = RaftWire.ToWireResponse(response);
            if (wire is DescribeQuorumResponse describe)
            {
                endpoint.AddNodes(describe);
            }
            request.Respond(wire);
        }));
    }
}

/// <summary>What the handlers need of a node's quorum member: its actor and the voters' controller endpoints.</summary>
internal sealed class RaftQuorumEndpoint(ActorRef actor, string listenerName, IReadOnlyDictionary<int, (string Host, int Port)> voters)
{
    public ActorRef Actor => actor;

    /// <summary>DescribeQuorum v2 lists where each voter is reached (kafka-metadata-quorum prints it).</summary>
    public void AddNodes(DescribeQuorumResponse response)
    {
        foreach (var (id, endpoint) in voters.OrderBy(v => v.Key))
        {
            response.Nodes.Add(new DescribeQuorumResponse.Node
            {
                NodeId = id,
                Listeners = [new() { Name = listenerName, Host = endpoint.Host, Port = (ushort)endpoint.Port }],
            });
        }
    }
}
