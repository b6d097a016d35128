using Broker.Protocol.Messages;
using SpecVersions = Broker.Protocol.Messages.ApiVersionTable;

namespace Broker.Host.Network;

/// <summary>One API the broker serves and its version range. <paramref name="FirstFlexibleVersion"/>
/// is informational (header versions come from the specs, <see cref="ApiHeaders"/>).</summary>
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
        UnsupportedVersionResponse = BuildResponse(ErrorCode.UnsupportedVersion,
            TryGet(ApiKey.ApiVersions, out var own) ? [own] : []);
        Response = BuildResponse(ErrorCode.None, list);
    }

    /// <summary>All supported APIs in api-key order (the ApiVersions response lists them so).</summary>
    public IReadOnlyList<ApiVersionRange> Ranges { get; }

    /// <summary>The answer to a supported ApiVersions request (built once, shared by every response).</summary>
    internal ApiVersionsResponse Response { get; }

    /// <summary>The answer, at v0, to an ApiVersions request at a version outside the table: only
    /// ApiVersions' own range, as Kafka's <c>ApiVersionsRequest.getErrorResponse</c> does.</summary>
    internal ApiVersionsResponse UnsupportedVersionResponse { get; }

    public bool TryGet(ApiKey apiKey, out ApiVersionRange range)
    {
        var k = (short)apiKey;
        if ((uint)k < (uint)_byKey.Length && _byKey[k] is { } r)
        {
            range = r;
            return true;
        }
        range = default;
        return false;
    }

    public ApiVersionTable With(ApiVersionRange range) =>
        new(Ranges.Where(r => r.ApiKey != range.ApiKey).Append(range));

    private static ApiVersionsResponse BuildResponse(ErrorCode error, IEnumerable<ApiVersionRange> ranges)
    {
        var response = new ApiVersionsResponse { ErrorCode = (short)error };
        foreach (var r in ranges)
        {
            response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion { ApiKey = r.ApiKey, MinVersion = r.MinVersion, MaxVersion = r.MaxVersion });
        }
        return response;
    }

    /// <summary>Every API a broker listener serves in Kafka's specs, without versions marked unstable.
    /// The broker passes the narrower list of what its handlers serve.</summary>
    public static ApiVersionTable Default { get; } = new(
        SpecVersions.All
            .Where(a => a.Listeners.HasFlag(ApiListeners.Broker))
            .Select(a => new ApiVersionRange(
                (short)a.Key,
                a.LowestVersion,
                a.LatestVersionUnstable ? (short)(a.HighestVersion - 1) : a.HighestVersion,
                a.FirstFlexibleVersion))
            .Where(r => r.MaxVersion >= r.MinVersion));
}

/// <summary>
/// Answers ApiVersions from the broker's <see cref="ApiVersionTable"/> and passes every other
/// request on. With no next dispatcher, an api the table lists but nothing serves closes the
/// connection (as Kafka does for an api it does not serve).
/// </summary>
public sealed class ApiVersionsDispatcher(ApiVersionTable apis, IRequestDispatcher? next = null) : IRequestDispatcher
{
    public ValueTask HandleAsync(RequestContext request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ApiKey == ApiKey.ApiVersions)
        {
            // The request body (client software name and version, v3+) is informational only.
            request.Respond(apis.Response);
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
