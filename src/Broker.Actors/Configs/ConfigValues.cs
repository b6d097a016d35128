namespace Broker.Actors.Configs;

/// <summary>
/// Parsed, validated values for every key of a <see cref="ConfigDef"/>, each with the
/// <see cref="ConfigSource"/> it came from. Immutable; <see cref="WithOverrides"/> layers dynamic
/// configs (AlterConfigs) on top and returns a new instance.
/// </summary>
public sealed class ConfigValues
{
    private readonly Dictionary<string, Entry> _entries;

    internal ConfigValues(ConfigDef definition, Dictionary<string, Entry> entries)
    {
        Definition = definition;
        _entries = entries;
    }

    internal readonly record struct Entry(object? Value, ConfigSource Source);

    public ConfigDef Definition { get; }

    /// <summary>Key names in definition order.</summary>
    public IEnumerable<string> Names => Definition.Keys.Select(k => k.Name);

    /// <summary>The typed value (see <see cref="ConfigType"/> for the CLR type of each).</summary>
    public object? this[string name] => Get(name).Value;

    public ConfigSource SourceOf(string name) => Get(name).Source;

    /// <summary>True when the value was set (file, <c>--set</c>, dynamic config), not defaulted.</summary>
    public bool IsSet(string name) => Get(name).Source != ConfigSource.DefaultConfig;

    public int GetInt(string name) => (int)Required(name);

    public long GetLong(string name) => (long)Required(name);

    public double GetDouble(string name) => (double)Required(name);

    public bool GetBoolean(string name) => (bool)Required(name);

    public string? GetString(string name) => (string?)this[name];

    /// <summary>A list value; an unset nullable list is empty.</summary>
    public IReadOnlyList<string> GetList(string name) => (IReadOnlyList<string>?)this[name] ?? [];

    /// <summary>The value in Kafka's string form.</summary>
    public string? Format(string name) => ConfigDef.Format(this[name]);

    /// <summary>A copy with <paramref name="overrides"/> parsed and applied as <paramref name="source"/>.</summary>
    public ConfigValues WithOverrides(IReadOnlyDictionary<string, string?> overrides, ConfigSource source)
    {
        var copy = new Dictionary<string, Entry>(_entries, StringComparer.Ordinal);
        foreach (var (name, raw) in overrides)
        {
            if (raw is null)
            {
                continue;
            }

            copy[name] = new Entry(Definition.Parse(name, raw), source);
        }

        return new ConfigValues(Definition, copy);
    }

    /// <summary>
    /// A copy where values equal to their key's default report <see cref="ConfigSource.DefaultConfig"/>.
    /// A config that includes reference.conf spells out every default; those are not the operator's
    /// settings, and DescribeConfigs should say DEFAULT_CONFIG for them as Kafka does for untouched keys.
    /// </summary>
    public ConfigValues WithDefaultValuesAsDefaultSource()
    {
        var copy = new Dictionary<string, Entry>(_entries, StringComparer.Ordinal);
        foreach (var key in Definition.Keys)
        {
            var e = copy[key.Name];
            if (e.Source != ConfigSource.DefaultConfig && key.HasDefault
                && ConfigDef.Format(e.Value) == ConfigDef.Format(key.DefaultValue))
            {
                copy[key.Name] = e with { Source = ConfigSource.DefaultConfig };
            }
        }

        return new ConfigValues(Definition, copy);
    }

    private Entry Get(string name)
        => _entries.TryGetValue(name, out var e) ? e : throw new ConfigException(name, "unknown configuration key");

    private object Required(string name)
        => this[name] ?? throw new ConfigException(name, "has no value");
}
