using System.Buffers.Binary;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Network;

/// <summary>Reads a request's header with the generated <see cref="RequestHeader"/>, at the header
/// version Kafka's specs give the api and version (v2, with tagged fields, for flexible versions).</summary>
internal static class RequestHeaders
{
    /// <summary>Smallest frame that can hold api key, version and correlation id.</summary>
    public const int MinimumLength = 8;

    public static ApiKey PeekApiKey(ReadOnlySpan<byte> frame) => (ApiKey)BinaryPrimitives.ReadInt16BigEndian(frame);

    public static short PeekApiVersion(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt16BigEndian(frame[2..]);

    /// <summary>Parses the header at the start of <paramref name="frame"/> and returns where the body
    /// starts. Throws <see cref="ProtocolException"/> when it is malformed.</summary>
    public static RequestHeader Parse(ReadOnlyMemory<byte> frame, out int bodyOffset)
    {
        var span = frame.Span;
        var headerVersion = ApiHeaders.RequestHeaderVersion(PeekApiKey(span), PeekApiVersion(span));
        var reader = new KafkaReader(frame);
        var header = new RequestHeader();
        header.Read(ref reader, headerVersion);
        bodyOffset = reader.Position;
        return header;
    }
}
