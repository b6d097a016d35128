using Broker.Protocol.Primitives;

namespace Broker.Host.Network;

/// <summary>
/// The ApiVersions response body, v0..v4, encoded by hand until the generated message lands. The
/// network layer needs it itself: an ApiVersions request at a version the broker does not know is
/// answered at v0 with UNSUPPORTED_VERSION and ApiVersions' own range, so the client can retry
/// (Kafka's <c>ApiVersionsRequest.getErrorResponse</c>).
/// </summary>
public sealed class ApiVersionsResponse(short errorCode, IReadOnlyList<ApiVersionRange> apiKeys, int throttleTimeMs = 0) : IResponseBody
{
    public const short UnsupportedVersionError = 35;

    public short ErrorCode { get; } = errorCode;

    public IReadOnlyList<ApiVersionRange> ApiKeys { get; } = apiKeys;

    public int ThrottleTimeMs { get; } = throttleTimeMs;

    public int Size(short apiVersion)
    {
        if (apiVersion >= 3)
        {
            // error, compact count, (key, min, max, empty tags) each, throttle, empty tags
            return 2 + KafkaEncoding.SizeOfCompactArrayCount(ApiKeys.Count) + (ApiKeys.Count * 7) + 4 + 1;
        }
        return 2 + 4 + (ApiKeys.Count * 6) + (apiVersion >= 1 ? 4 : 0);
    }

    public void Write(ref KafkaWriter writer, short apiVersion)
    {
        var flexible = apiVersion >= 3;
        writer.WriteInt16(ErrorCode);
        if (flexible)
        {
            writer.WriteCompactArrayCount(ApiKeys.Count);
        }
        else
        {
            writer.WriteArrayCount(ApiKeys.Count);
        }
        for (var i = 0; i < ApiKeys.Count; i++)
        {
            var k = ApiKeys[i];
            writer.WriteInt16(k.ApiKey);
            writer.WriteInt16(k.MinVersion);
            writer.WriteInt16(k.MaxVersion);
            if (flexible)
            {
                writer.WriteEmptyTaggedFields();
            }
        }
        if (apiVersion >= 1)
        {
            writer.WriteInt32(ThrottleTimeMs);
        }
        if (flexible)
        {
            writer.WriteEmptyTaggedFields();
        }
    }
}

/// <summary>
/// Answers ApiVersions from the broker's <see cref="ApiVersionTable"/> and passes every other
/// request on. With no next dispatcher, an api the table lists but nothing serves closes the
/// connection (as Kafka does for an api it does not serve).
/// </summary>
public sealed class ApiVersionsDispatcher(ApiVersionTable apis, IRequestDispatcher? next = null) : IRequestDispatcher
{
    private readonly ApiVersionsResponse _response = new(0, apis.Ranges);

    public ValueTask HandleAsync(RequestContext request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ApiKey == KafkaApiKeys.ApiVersions)
        {
            // The request body (client software name and version, v3+) is informational only.
            request.Respond(_response);
            return ValueTask.CompletedTask;
        }
        if (next is not null)
        {
            return next.HandleAsync(request);
        }
        request.CloseConnection($"no handler for api {request.ApiKey}");
        return ValueTask.CompletedTask;
    }
}
