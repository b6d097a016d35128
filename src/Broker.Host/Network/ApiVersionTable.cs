namespace Broker.Host.Network;

/// <summary>One API the broker serves: its version range and the first flexible version (the one
/// from which the request uses header v2 and the response header v1).</summary>
public readonly record struct ApiVersionRange(short ApiKey, short MinVersion, short MaxVersion, short FirstFlexibleVersion);

/// <summary>
/// The APIs this broker accepts, as answered to ApiVersions and checked for every request header.
/// A request for an API not in the table, or outside its range, closes the connection (Kafka's
/// behaviour), except ApiVersions itself, which is answered with UNSUPPORTED_VERSION.
/// </summary>
public sealed class ApiVersionTable
{
    // Indexed by api key: lookups on the request path are an array read.
    private readonly ApiVersionRange?[] _byKey;

    public ApiVersionTable(IEnumerable<ApiVersionRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var list = ranges.OrderBy(r => r.ApiKey).ToArray();
        var max = list.Length == 0 ? 0 : list[^1].ApiKey;
        _byKey = new ApiVersionRange?[max + 1];
        foreach (var r in list)
        {
            if (r.ApiKey < 0 || r.MinVersion < 0 || r.MaxVersion < r.MinVersion)
            {
                throw new ArgumentException($"bad version range {r}", nameof(ranges));
            }
            _byKey[r.ApiKey] = r;
        }
        Ranges = list;
        UnsupportedVersionResponse = new ApiVersionsResponse(
            ApiVersionsResponse.UnsupportedVersionError,
            TryGet(KafkaApiKeys.ApiVersions, out var own) ? [own] : []);
    }

    /// <summary>The v0 answer to an ApiVersions request at a version outside the table.</summary>
    internal ApiVersionsResponse UnsupportedVersionResponse { get; }

    /// <summary>All supported APIs in api-key order (the ApiVersions response lists them so).</summary>
    public IReadOnlyList<ApiVersionRange> Ranges { get; }

    public bool TryGet(short apiKey, out ApiVersionRange range)
    {
        if ((uint)apiKey < (uint)_byKey.Length && _byKey[apiKey] is { } r)
        {
            range = r;
            return true;
        }
        range = default;
        return false;
    }

    public ApiVersionTable With(ApiVersionRange range) =>
        new(Ranges.Where(r => r.ApiKey != range.ApiKey).Append(range));

    /// <summary>
    /// A hand list until the generated version table lands (see <c>Messages/Generated</c>):
    /// ApiVersions and the APIs a client needs first. Flexible versions are Kafka's.
    /// </summary>
    public static ApiVersionTable Default { get; } = new(
    [
        new ApiVersionRange(KafkaApiKeys.Produce, 0, 11, 9),
        new ApiVersionRange(KafkaApiKeys.Fetch, 0, 17, 12),
        new ApiVersionRange(KafkaApiKeys.Metadata, 0, 12, 9),
        new ApiVersionRange(KafkaApiKeys.ApiVersions, 0, 4, 3),
    ]);
}

/// <summary>The api keys the network layer itself needs to know (temporary, until the generated ApiKey enum).</summary>
public static class KafkaApiKeys
{
    public const short Produce = 0;
    public const short Fetch = 1;
    public const short Metadata = 3;
    public const short ControlledShutdown = 7;
    public const short ApiVersions = 18;
}
