namespace Broker.Actors.Configs;

/// <summary>
/// A configuration key has a bad or missing value. The message always starts with the key so an
/// operator sees which line of the config to fix: <c>num.io.threads: expected an int, got 'abc'</c>.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string key, string reason)
        : base($"{key}: {reason}")
    {
        Key = key;
        Reason = reason;
    }

    public ConfigException()
        : this("(unknown)", "invalid configuration")
    {
    }

    public ConfigException(string message)
        : this("(unknown)", message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = "(unknown)";
        Reason = message;
    }

    /// <summary>The config key (Kafka's dotted name) at fault.</summary>
    public string Key { get; }

    /// <summary>Why the value was rejected, without the key.</summary>
    public string Reason { get; }
}
