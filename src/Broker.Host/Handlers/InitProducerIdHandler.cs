using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// InitProducerId for idempotent producers (no transactional id): a fresh producer id at epoch 0.
/// Transactions are not supported yet, so a transactional id gets Kafka's "not supported" answer.
/// </summary>
internal sealed class InitProducerIdHandler(BrokerNode node)
{
    public async ValueTask HandleAsync(RequestContext request)
    {
        try
        {
            await HandleCoreAsync(request).ConfigureAwait(false);
        }
        catch (Broker.Actors.Metadata.NotControllerException)
        {
            // No controller to reserve a producer id block: retriable, as Kafka's RPCProducerIdManager answers.
            request.Respond(new InitProducerIdResponse { ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress, ProducerId = -1, ProducerEpoch = -1 });
        }
    }

    private async ValueTask HandleCoreAsync(RequestContext request)
    {
        var init = request.Decode<InitProducerIdRequest>();
        var response = new InitProducerIdResponse();
        if (!string.IsNullOrEmpty(init.TransactionalId))
        {
            response.ErrorCode = (short)ErrorCode.TransactionalIdAuthorizationFailed;
            request.Respond(response);
            return;
        }
        if (init.ProducerId >= 0)
        {
            // KIP-360: an idempotent producer bumping its epoch after an error keeps its id.
            response.ProducerId = init.ProducerId;
            response.ProducerEpoch = (short)(init.ProducerEpoch + 1);
            if (response.ProducerEpoch < 0)
            {
                response.ProducerId = await node.Controller.AllocateProducerIdAsync().ConfigureAwait(false);
                response.ProducerEpoch = 0;
            }
            request.Respond(response);
            return;
        }
        response.ProducerId = await node.Controller.AllocateProducerIdAsync().ConfigureAwait(false);
        response.ProducerEpoch = 0;
        request.Respond(response);
    }
}
