namespace Broker.Actors.Configs;

/// <summary>One synonym of a described config, as DescribeConfigs v1+ reports it.</summary>
public sealed record ConfigSynonym(string Name, string? Value, ConfigSource Source);

/// <summary>An effective config value with its source and synonyms (a DescribeConfigs result entry).</summary>
public sealed record ConfigEntry(
    string Name, string? Value, ConfigSource Source, bool IsReadOnly, bool IsSensitive, ConfigType Type,
    string Documentation, IReadOnlyList<ConfigSynonym> Synonyms);

public static partial class TopicConfigs
{
    /// <summary>
    /// Effective value of <paramref name="name"/> for a topic: its override (DYNAMIC_TOPIC_CONFIG) wins,
    /// then a set broker synonym (STATIC_BROKER_CONFIG, or dynamic broker sources), then a broker
    /// synonym's default, then the topic key's own default (DEFAULT_CONFIG). Synonyms are listed in that
    /// precedence order, with each broker synonym's value in its own unit (log.retention.hours=168).
    /// </summary>
    public static ConfigEntry Describe(string name, IReadOnlyDictionary<string, string?> topicOverrides, ConfigValues broker)
    {
        var (key, value, source, synonyms) = ResolveOne(name, topicOverrides, broker);
        return new ConfigEntry(
            name, ConfigDef.Format(value), source, IsReadOnly: false, IsSensitive: false, key.Type,
            key.Documentation, synonyms);
    }

    /// <summary><see cref="Describe"/> for every topic key, in definition order.</summary>
    public static IReadOnlyList<ConfigEntry> DescribeAll(IReadOnlyDictionary<string, string?> topicOverrides, ConfigValues broker)
        => Definition.Keys.Select(k => Describe(k.Name, topicOverrides, broker)).ToArray();

    /// <summary>Typed effective values of every topic key (what a partition's log runs with).</summary>
    public static ConfigValues Resolve(IReadOnlyDictionary<string, string?> topicOverrides, ConfigValues broker)
    {
        var entries = new Dictionary<string, ConfigValues.Entry>(StringComparer.Ordinal);
        foreach (var key in Definition.Keys)
        {
            var (_, value, source, _) = ResolveOne(key.Name, topicOverrides, broker);
            entries[key.Name] = new ConfigValues.Entry(value, source);
        }

        return new ConfigValues(Definition, entries);
    }

    private static (ConfigKey Key, object? Value, ConfigSource Source, IReadOnlyList<ConfigSynonym> Synonyms) ResolveOne(
        string name, IReadOnlyDictionary<string, string?> topicOverrides, ConfigValues broker)
    {
        var key = Definition[name];
        var synonyms = new List<ConfigSynonym>(4);
        object? value = null;
        var source = ConfigSource.Unknown;
        var found = false;

        if (topicOverrides.TryGetValue(name, out var raw) && raw is not null)
        {
            value = Definition.Parse(name, raw);
            source = ConfigSource.DynamicTopicConfig;
            found = true;
            synonyms.Add(new ConfigSynonym(name, ConfigDef.Format(value), source));
        }

        var brokerSynonyms = SynonymsOf(name);
        foreach (var syn in brokerSynonyms)
        {
            if (broker.IsSet(syn.BrokerKey) && broker[syn.BrokerKey] is { } v)
            {
                Take(syn, v, broker.SourceOf(syn.BrokerKey));
            }
        }

        foreach (var syn in brokerSynonyms)
        {
            if (!broker.IsSet(syn.BrokerKey) && broker[syn.BrokerKey] is { } v)
            {
                Take(syn, v, ConfigSource.DefaultConfig);
            }
        }

        if (!found)
        {
            value = key.DefaultValue;
            source = ConfigSource.DefaultConfig;
        }

        return (key, value, source, synonyms);

        void Take(BrokerSynonym syn, object brokerValue, ConfigSource brokerSource)
        {
            synonyms.Add(new ConfigSynonym(syn.BrokerKey, ConfigDef.Format(brokerValue), brokerSource));
            if (!found)
            {
                value = syn.ToTopicValue(brokerValue);
                source = brokerSource;
                found = true;
            }
        }
    }
}
