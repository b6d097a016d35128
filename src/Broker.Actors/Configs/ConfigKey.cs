namespace Broker.Actors.Configs;

/// <summary>
/// One entry of a <see cref="ConfigDef"/>: Kafka's dotted name, its type, default, validator,
/// importance and a one-line documentation string (Kafka's <c>ConfigDef.ConfigKey</c>).
/// </summary>
public sealed class ConfigKey
{
    internal ConfigKey(
        string name, ConfigType type, bool hasDefault, object? defaultValue, ConfigValidator? validator,
        ConfigImportance importance, string documentation)
    {
        Name = name;
        Type = type;
        HasDefault = hasDefault;
        DefaultValue = defaultValue;
        Validator = validator;
        Importance = importance;
        Documentation = documentation;
    }

    /// <summary>Kafka's name, e.g. <c>log.retention.ms</c>.</summary>
    public string Name { get; }

    public ConfigType Type { get; }

    /// <summary>False for required keys: the process does not start without a value.</summary>
    public bool HasDefault { get; }

    /// <summary>The parsed default (<c>null</c> when the key is optional and unset, or required).</summary>
    public object? DefaultValue { get; }

    public ConfigValidator? Validator { get; }

    public ConfigImportance Importance { get; }

    public string Documentation { get; }

    public override string ToString() => Name;
}
