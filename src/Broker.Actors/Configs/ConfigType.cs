namespace Broker.Actors.Configs;

/// <summary>
/// The value type of a config entry, as in Kafka's <c>ConfigDef.Type</c>, plus two unit-aware types:
/// Kafka spells durations as <c>*.ms</c> longs and sizes as <c>*.bytes</c> ints/longs; in HOCON people
/// write <c>7d</c> or <c>100MiB</c>, so those keys accept units and store milliseconds / bytes.
/// </summary>
public enum ConfigType
{
    /// <summary><c>bool</c>: <c>true</c> or <c>false</c> (case-insensitive).</summary>
    Boolean,
    /// <summary><c>int</c>.</summary>
    Int,
    /// <summary><c>long</c>.</summary>
    Long,
    /// <summary><c>double</c>.</summary>
    Double,
    /// <summary><c>string</c>.</summary>
    String,
    /// <summary><c>IReadOnlyList&lt;string&gt;</c>: comma-separated, trimmed, empty items dropped.</summary>
    List,
    /// <summary><c>long</c> milliseconds: a bare number is milliseconds; <c>10s</c>, <c>500ms</c>, <c>7d</c> are accepted.</summary>
    Duration,
    /// <summary><c>long</c> bytes: a bare number is bytes; <c>64KiB</c>, <c>100MiB</c>, <c>1GB</c> are accepted.</summary>
    Size,
}

/// <summary>How much an operator should care about a key (Kafka's <c>ConfigDef.Importance</c>).</summary>
public enum ConfigImportance
{
    High,
    Medium,
    Low,
}

/// <summary>
/// Where an effective value came from, numbered as Kafka's DescribeConfigs <c>ConfigSource</c>
/// (the numbers go on the wire).
/// </summary>
public enum ConfigSource : sbyte
{
    Unknown = 0,
    DynamicTopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
    DynamicBrokerLoggerConfig = 6,
}
