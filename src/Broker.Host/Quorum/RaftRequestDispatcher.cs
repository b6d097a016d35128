using Broker.Host.Handlers;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Quorum;

/// <summary>A dispatcher serving only the KRaft APIs (a controller-only listener, and quorum tests).</summary>
internal sealed class RaftRequestDispatcher(RaftHandlers raft) : IRequestDispatcher
{
    public ValueTask HandleAsync(RequestContext request)
    {
        switch (request.ApiKey)
        {
            case ApiKey.Vote:
            case ApiKey.BeginQuorumEpoch:
            case ApiKey.EndQuorumEpoch:
            case ApiKey.DescribeQuorum:
            case ApiKey.FetchSnapshot:
                raft.Handle(request);
                break;
            case ApiKey.Fetch when raft.TryHandleFetch(request, request.Decode<FetchRequest>()):
                break;
            default:
                request.CloseConnection($"api {request.ApiKey} is not served on a quorum-only listener");
                break;
        }
        return ValueTask.CompletedTask;
    }
}
