using Broker.Actors.Metadata;
using Broker.Protocol.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Broker.Host.Management;

/// <summary>
/// <c>POST /cluster/members/{id}/leave</c> and <c>/down</c> (Akka.Management's member routes, brokerctl's
/// <c>cluster leave|down</c>), served by any node: the active controller decides (ControllerActor.Membership.cs,
/// forwarded as ControlledShutdown / UnregisterBroker). Answers: 202 accepted (leave: the node's leaderships moved
/// and it shuts down gracefully after its next heartbeat; down: it is fenced), 404 not a member, 409 cannot be done
/// (its only broker, the last one able to lead, already fenced), 403 state changes disabled, 503 no active controller.
/// </summary>
public sealed partial class ManagementServer
{
    private static void MapMemberRoutes(IEndpointRouteBuilder app, BrokerNode node)
    {
        app.MapPost("/cluster/members/{id:int}/leave", (int id) => ChangeMemberAsync(node, id, leave: true));
        app.MapPost("/cluster/members/{id:int}/down", (int id) => ChangeMemberAsync(node, id, leave: false));
    }

    private static async Task<IResult> ChangeMemberAsync(BrokerNode node, int id, bool leave)
    {
        var operation = leave ? "leave" : "down";
        if (Forbidden(node, operation) is { } forbidden)
        {
            return forbidden;
        }
        var image = node.Metadata.Current;
        if (!image.Brokers.ContainsKey(id))
        {
            return Answer(StatusCodes.Status404NotFound, $"node {id} is not a member");
        }
        if (image.Brokers.Count == 1)
        {
            return Answer(StatusCodes.Status409Conflict,
                $"{operation} of node {id} refused on a single-node cluster: it is the only broker (stop the process with SIGTERM for a graceful shutdown)");
        }
        MembershipReply reply;
        try
        {
            reply = leave
                ? await node.Controller.LeaveBrokerAsync(id, -1).ConfigureAwait(false)
                : await node.Controller.DownBrokerAsync(id).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerUnreachable(e))
        {
            return Answer(StatusCodes.Status503ServiceUnavailable, $"{operation} of node {id}: no active controller answered ({e.Message})");
        }
        return reply.Error switch
        {
            ErrorCode.None => Answer(StatusCodes.Status202Accepted, reply.Message),
            ErrorCode.BrokerIdNotRegistered => Answer(StatusCodes.Status404NotFound, reply.Message),
            _ => Answer(StatusCodes.Status409Conflict, reply.Message),
        };
    }

    private static IResult Answer(int status, string message) => Results.Json(new ManagementMessage(message), Json, statusCode: status);
}
