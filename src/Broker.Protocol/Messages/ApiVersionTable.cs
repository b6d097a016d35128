namespace Broker.Protocol.Messages;

/// <summary>Which kinds of node serve an API (the specs' "listeners").</summary>
[Flags]
public enum ApiListeners
{
    None = 0,
    ZkBroker = 1,
    Broker = 2,
    Controller = 4,
}

/// <summary>One API's versions as the specs define them.</summary>
/// <param name="FirstFlexibleVersion">First version using flexible encodings and headers; -1 when none does.</param>
public readonly record struct ApiVersionInfo(
    ApiKey Key,
    short LowestVersion,
    short HighestVersion,
    short FirstFlexibleVersion,
    ApiListeners Listeners,
    bool LatestVersionUnstable)
{
    public bool IsFlexible(short version) => FirstFlexibleVersion >= 0 && version >= FirstFlexibleVersion;
    public bool Supports(short version) => version >= LowestVersion && version <= HighestVersion;
}

/// <summary>Every API key with its version range (entries generated from the request specs).</summary>
public static partial class ApiVersionTable
{
    // Built on first use: static field initializers in different partial files run in no defined order.
    private static ApiVersionInfo?[]? _byKey;

    private static ApiVersionInfo?[] ByKey => _byKey ??= BuildIndex();

    public static IReadOnlyList<ApiVersionInfo> All => Entries;

    public static bool TryGet(ApiKey key, out ApiVersionInfo info)
    {
        var k = (int)key;
        if (k >= 0 && k < ByKey.Length && ByKey[k] is { } found)
        {
            info = found;
            return true;
        }
        info = default;
        return false;
    }

    public static ApiVersionInfo Get(ApiKey key) =>
        TryGet(key, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(key), key, "unknown API key");

    private static ApiVersionInfo?[] BuildIndex()
    {
        var max = Entries.Max(e => (int)e.Key);
        var index = new ApiVersionInfo?[max + 1];
        foreach (var e in Entries)
        {
            index[(int)e.Key] = e;
        }
        return index;
    }
}
