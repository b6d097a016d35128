using Broker.Host.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Handlers;

/// <summary>Adapts a generated response message to the network layer's response body.</summary>
public sealed class MessageBody(IKafkaMessage message) : IResponseBody
{
    public IKafkaMessage Message { get; } = message;

    public int Size(short apiVersion) => Message.Size(apiVersion);

    public void Write(ref KafkaWriter writer, short apiVersion) => Message.Write(ref writer, apiVersion);
}

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

    public static void Respond(this RequestContext request, IKafkaMessage response) =>
        request.Respond(new MessageBody(response));
}
