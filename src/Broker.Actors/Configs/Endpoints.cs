using System.Globalization;

namespace Broker.Actors.Configs;

/// <summary>
/// A listener from <c>listeners</c> / <c>advertised.listeners</c>: <c>NAME://host:port</c>, host may be
/// empty (all interfaces) or a bracketed IPv6 address, as Kafka's <c>EndPoint</c>.
/// </summary>
public sealed record ListenerEndpoint(string ListenerName, string Host, int Port)
{
    public static bool TryParse(string text, out ListenerEndpoint endpoint, out string? error)
    {
        endpoint = null!;
        var sep = text.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0)
        {
            error = $"listener '{text}' is not of the form NAME://host:port";
            return false;
        }

        var name = text[..sep];
        if (!TryParseHostPort(text[(sep + 3)..], out var host, out var port))
        {
            error = $"listener '{text}' is not of the form NAME://host:port (port 0-65535)";
            return false;
        }

        endpoint = new ListenerEndpoint(name.ToUpperInvariant(), host, port);
        error = null;
        return true;
    }

    /// <summary>Parses a list value; the first bad item or a repeated listener name is an error.</summary>
    public static IReadOnlyList<ListenerEndpoint> ParseList(IReadOnlyList<string> items, string key)
    {
        var result = new List<ListenerEndpoint>(items.Count);
        foreach (var item in items)
        {
            if (!TryParse(item, out var e, out var error))
            {
                throw new ConfigException(key, error!);
            }

            if (result.Exists(r => r.ListenerName == e.ListenerName))
            {
                throw new ConfigException(key, $"listener name '{e.ListenerName}' appears more than once");
            }

            result.Add(e);
        }

        return result;
    }

    /// <summary>Validator for list keys holding listeners.</summary>
    public static ConfigValidator Validator { get; } = ConfigValidator.Of(
        v =>
        {
            try
            {
                ParseList((IReadOnlyList<string>)v, "");
                return null;
            }
            catch (ConfigException e)
            {
                return e.Reason;
            }
        },
        "NAME://host:port,...");

    public override string ToString() => $"{ListenerName}://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}";

    internal static bool TryParseHostPort(string s, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = s.LastIndexOf(':');
        if (colon < 0
            || !int.TryParse(s.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            || port > 65535)
        {
            return false;
        }

        host = s[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return !host.Contains('/') && !host.Contains(' ');
    }
}

/// <summary>A controller quorum voter from <c>controller.quorum.voters</c>: <c>id@host:port</c>.</summary>
public sealed record QuorumVoter(int NodeId, string Host, int Port)
{
    public static bool TryParse(string text, out QuorumVoter voter, out string? error)
    {
        voter = null!;
        var at = text.IndexOf('@');
        if (at <= 0
            || !int.TryParse(text.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || !ListenerEndpoint.TryParseHostPort(text[(at + 1)..], out var host, out var port)
            || host.Length == 0)
        {
            error = $"voter '{text}' is not of the form id@host:port";
            return false;
        }

        voter = new QuorumVoter(id, host, port);
        error = null;
        return true;
    }

    /// <summary>Parses a list value; the first bad item or a repeated id is an error.</summary>
    public static IReadOnlyList<QuorumVoter> ParseList(IReadOnlyList<string> items, string key)
    {
        var result = new List<QuorumVoter>(items.Count);
        foreach (var item in items)
        {
            if (!TryParse(item, out var v, out var error))
            {
                throw new ConfigException(key, error!);
            }

            if (result.Exists(r => r.NodeId == v.NodeId))
            {
                throw new ConfigException(key, $"voter id {v.NodeId} appears more than once");
            }

            result.Add(v);
        }

        return result;
    }

    /// <summary>Validator for <c>controller.quorum.voters</c>.</summary>
    public static ConfigValidator Validator { get; } = ConfigValidator.Of(
        v =>
        {
            try
            {
                ParseList((IReadOnlyList<string>)v, "");
                return null;
            }
            catch (ConfigException e)
            {
                return e.Reason;
            }
        },
        "id@host:port,...");

    public override string ToString() => $"{NodeId}@{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}";
}
