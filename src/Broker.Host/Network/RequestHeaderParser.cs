using System.Buffers.Binary;
using System.Text;
using Broker.Protocol.Primitives;

namespace Broker.Host.Network;

/// <summary>The fields of a Kafka request header and where the body starts.</summary>
public readonly record struct RequestHeader(short ApiKey, short ApiVersion, int CorrelationId, string? ClientId, bool IsFlexible, int Length);

/// <summary>
/// Hand-written request header parsing, kept to this one file so it can be swapped for the
/// generated <c>RequestHeader</c> once it lands: int16 api key, int16 api version, int32
/// correlation id, nullable (never compact) client id, and in flexible versions (header v2) a
/// tagged-field section.
/// </summary>
internal static class RequestHeaderParser
{
    /// <summary>Smallest frame that can hold api key, version and correlation id.</summary>
    public const int MinimumLength = 8;

    public static short PeekApiKey(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt16BigEndian(frame);

    public static short PeekApiVersion(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt16BigEndian(frame[2..]);

    /// <summary>Parses the header of <paramref name="frame"/>. Throws <see cref="ProtocolException"/>
    /// when it is malformed. <paramref name="clientIds"/> avoids a string per request for a
    /// connection that always sends the same client id.</summary>
    public static RequestHeader Parse(ReadOnlyMemory<byte> frame, bool flexible, ClientIdCache clientIds)
    {
        var reader = new KafkaReader(frame);
        var apiKey = reader.ReadInt16();
        var apiVersion = reader.ReadInt16();
        var correlationId = reader.ReadInt32();
        string? clientId = null;
        // Header v0 (ControlledShutdown v0 only) has no client id.
        if (!(apiKey == KafkaApiKeys.ControlledShutdown && apiVersion == 0))
        {
            var len = reader.ReadInt16();
            if (len < -1)
            {
                throw new ProtocolException($"negative client id length {len}");
            }
            if (len >= 0)
            {
                clientId = clientIds.Get(reader.ReadRaw(len).Span);
            }
        }
        if (flexible)
        {
            reader.SkipTaggedFields();
        }
        return new RequestHeader(apiKey, apiVersion, correlationId, clientId, flexible, reader.Position);
    }
}

/// <summary>Remembers a connection's last client id so the same bytes do not allocate a new string.</summary>
internal sealed class ClientIdCache
{
    private byte[] _bytes = [];
    private string _value = string.Empty;

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (!utf8.SequenceEqual(_bytes))
        {
            _value = utf8.Length == 0 ? string.Empty : Encoding.UTF8.GetString(utf8);
            _bytes = utf8.ToArray();
        }
        return _value;
    }
}
