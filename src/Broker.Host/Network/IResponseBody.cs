using Broker.Protocol.Primitives;

namespace Broker.Host.Network;

/// <summary>
/// A response body the connection's writer serializes straight into the socket's pipe: size first,
/// then the bytes (the generated response messages have this shape: <c>Size(version)</c> and
/// <c>Write(ref KafkaWriter, version)</c>). The header (size, correlation id, tagged fields) is
/// written by the network layer.
/// </summary>
public interface IResponseBody
{
    int Size(short apiVersion);

    void Write(ref KafkaWriter writer, short apiVersion);
}

/// <summary>A body that is already encoded (tests, forwarded responses).</summary>
public sealed class RawResponseBody(ReadOnlyMemory<byte> bytes) : IResponseBody
{
    public ReadOnlyMemory<byte> Bytes { get; } = bytes;

    public int Size(short apiVersion) => Bytes.Length;

    public void Write(ref KafkaWriter writer, short apiVersion) => writer.WriteRaw(Bytes.Span);
}
