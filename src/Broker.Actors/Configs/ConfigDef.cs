using System.Globalization;

namespace Broker.Actors.Configs;

/// <summary>
/// A set of config keys with types, defaults and validators, like Kafka's <c>ConfigDef</c>: parses
/// the string form of a value (what a properties file, HOCON scalar, <c>--set</c> or an
/// AlterConfigs request carries) into a typed value, and formats it back for DescribeConfigs.
/// Every error is a <see cref="ConfigException"/> naming the key.
/// </summary>
public sealed class ConfigDef
{
    private readonly Dictionary<string, ConfigKey> _keys = new(StringComparer.Ordinal);
    private readonly List<ConfigKey> _ordered = [];

    /// <summary>Keys in definition order.</summary>
    public IReadOnlyList<ConfigKey> Keys => _ordered;

    /// <summary>Defines a key with a default, given in its string form (so defaults go through the same parser).</summary>
    public ConfigDef Define(
        string name, ConfigType type, string? defaultValue, ConfigValidator? validator, ConfigImportance importance,
        string documentation)
    {
        var key = new ConfigKey(name, type, hasDefault: true, null, validator, importance, documentation);
        var parsed = defaultValue is null ? null : ParseValue(key, defaultValue);
        return Add(new ConfigKey(name, type, hasDefault: true, parsed, validator, importance, documentation));
    }

    /// <summary>Defines a key without a default: it must be set.</summary>
    public ConfigDef DefineRequired(
        string name, ConfigType type, ConfigValidator? validator, ConfigImportance importance, string documentation)
        => Add(new ConfigKey(name, type, hasDefault: false, null, validator, importance, documentation));

    private ConfigDef Add(ConfigKey key)
    {
        if (!_keys.TryAdd(key.Name, key))
        {
            throw new InvalidOperationException($"config key '{key.Name}' is defined twice");
        }

        _ordered.Add(key);
        return this;
    }

    public bool Contains(string name) => _keys.ContainsKey(name);

    public bool TryGetKey(string name, out ConfigKey key) => _keys.TryGetValue(name, out key!);

    /// <summary>The key named <paramref name="name"/>; a <see cref="ConfigException"/> if there is none.</summary>
    public ConfigKey this[string name]
        => _keys.TryGetValue(name, out var key) ? key : throw new ConfigException(name, "unknown configuration key");

    /// <summary>Parses and validates <paramref name="value"/> for the key <paramref name="name"/>.</summary>
    public object? Parse(string name, string? value) => ParseValue(this[name], value);

    /// <summary>Like <see cref="Parse"/> but returns the error instead of throwing.</summary>
    public bool TryParse(string name, string? value, out object? parsed, out ConfigException? error)
    {
        try
        {
            parsed = Parse(name, value);
            error = null;
            return true;
        }
        catch (ConfigException e)
        {
            parsed = null;
            error = e;
            return false;
        }
    }

    /// <summary>
    /// Parses a whole map of string values; unset keys take their defaults. The first problem is thrown:
    /// bad values (in definition order), then unknown keys, then missing required keys.
    /// </summary>
    public ConfigValues ParseAll(IReadOnlyDictionary<string, string?> values, ConfigSource source = ConfigSource.StaticBrokerConfig)
    {
        var result = new Dictionary<string, ConfigValues.Entry>(StringComparer.Ordinal);
        foreach (var key in _ordered)
        {
            if (values.TryGetValue(key.Name, out var raw) && raw is not null)
            {
                result[key.Name] = new ConfigValues.Entry(ParseValue(key, raw), source);
            }
        }

        foreach (var name in values.Keys)
        {
            if (!_keys.ContainsKey(name))
            {
                throw new ConfigException(name, "unknown configuration key");
            }
        }

        foreach (var key in _ordered)
        {
            if (result.ContainsKey(key.Name))
            {
                continue;
            }

            if (!key.HasDefault)
            {
                throw new ConfigException(key.Name, "missing required configuration (it has no default)");
            }

            result[key.Name] = new ConfigValues.Entry(key.DefaultValue, ConfigSource.DefaultConfig);
        }

        return new ConfigValues(this, result);
    }

    /// <summary>Parses the string form of a value for <paramref name="key"/> and validates it.</summary>
    public static object? ParseValue(ConfigKey key, string? value)
    {
        if (value is null)
        {
            if (key.HasDefault)
            {
                return key.DefaultValue;
            }

            throw new ConfigException(key.Name, "missing required configuration (it has no default)");
        }

        var parsed = ParseType(key, value.Trim());
        if (key.Validator?.Validate(parsed) is { } reason)
        {
            throw new ConfigException(key.Name, reason);
        }

        return parsed;
    }

    private static object ParseType(ConfigKey key, string s)
    {
        switch (key.Type)
        {
            case ConfigType.Boolean:
                if (s.Equals("true", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }

                if (s.Equals("false", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }

                throw new ConfigException(key.Name, $"expected a boolean (true or false), got '{s}'");
            case ConfigType.Int:
                return int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                    ? i
                    : throw new ConfigException(key.Name, $"expected an int, got '{s}'");
            case ConfigType.Long:
                return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                    ? l
                    : throw new ConfigException(key.Name, $"expected a long, got '{s}'");
            case ConfigType.Double:
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                    ? d
                    : throw new ConfigException(key.Name, $"expected a number, got '{s}'");
            case ConfigType.String:
                return s;
            case ConfigType.List:
                return ParseList(s);
            case ConfigType.Duration:
                return ConfigUnits.TryParseDurationMs(s, out var ms, out var durationError)
                    ? ms
                    : throw new ConfigException(key.Name, durationError!);
            case ConfigType.Size:
                return ConfigUnits.TryParseSizeBytes(s, out var bytes, out var sizeError)
                    ? bytes
                    : throw new ConfigException(key.Name, sizeError!);
            default:
                throw new ConfigException(key.Name, $"unsupported type {key.Type}");
        }
    }

    /// <summary>Kafka's list form: comma-separated, items trimmed, empty items dropped.</summary>
    public static IReadOnlyList<string> ParseList(string s)
    {
        if (s.Length == 0)
        {
            return [];
        }

        var parts = s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return parts;
    }

    /// <summary>The string form Kafka reports for a typed value (DescribeConfigs, <c>--print-config</c>).</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        string s => s,
        IReadOnlyList<string> list => string.Join(",", list),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
