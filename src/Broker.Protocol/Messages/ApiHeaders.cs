namespace Broker.Protocol.Messages;

/// <summary>Which request and response header version an API version uses.</summary>
public static class ApiHeaders
{
    /// <summary>Request header v2 for flexible versions, else v1; ControlledShutdown v0 uses header v0
    /// (it predates the client id). Unknown keys get v1: the broker can still read the client id and
    /// answer with an error.</summary>
    public static short RequestHeaderVersion(ApiKey apiKey, short apiVersion)
    {
        if (!ApiVersionTable.TryGet(apiKey, out var info))
        {
            return 1;
        }
        if (apiKey == ApiKey.ControlledShutdown && apiVersion == 0)
        {
            return 0;
        }
        return info.IsFlexible(apiVersion) ? (short)2 : (short)1;
    }

    /// <summary>Response header v1 for flexible versions, else v0. ApiVersions always answers with v0:
    /// a client that does not yet know the broker's versions must be able to parse the reply.</summary>
    public static short ResponseHeaderVersion(ApiKey apiKey, short apiVersion)
    {
        if (apiKey == ApiKey.ApiVersions || !ApiVersionTable.TryGet(apiKey, out var info))
        {
            return 0;
        }
        return info.IsFlexible(apiVersion) ? (short)1 : (short)0;
    }
}
