using Broker.Host.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Handlers;

internal static class RequestDecoding
{
    /// <summary>Decodes the request body with the generated type at the header's version.</summary>
    public static T Decode<T>(this RequestContext request) where T : IKafkaMessage, new()
    {
        var message = new T();
        var reader = new KafkaReader(request.Body);
        message.Read(ref reader, request.ApiVersion);
        return message;
    }
}
