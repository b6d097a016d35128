using System.Collections.Frozen;
using Broker.Actors.Configs;
using Broker.Actors.Metadata;
using Broker.Protocol.Messages;
using static Broker.Protocol.Messages.DescribeConfigsResponse;

namespace Broker.Host.Handlers;

/// <summary>
/// Config entries as DescribeConfigs and CreateTopics (v5+) report them: effective value, source,
/// read-only flag, synonyms in precedence order, Kafka's wire config type and documentation.
/// </summary>
internal static class ConfigDescriptions
{
    /// <summary>
    /// Broker keys that may be altered at run time: the ones backing topic configs (log.retention.ms,
    /// log.segment.bytes, ...), which the partition logs pick up. Every other broker key is read-only,
    /// as in Kafka for keys outside DynamicBrokerConfig.
    /// </summary>
    public static readonly FrozenSet<string> DynamicBrokerKeys = TopicConfigs.Definition.Keys
        .SelectMany(k => TopicConfigs.SynonymsOf(k.Name))
        .Select(s => s.BrokerKey)
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Broker keys that name the same setting in other units (log.retention.ms/minutes/hours).</summary>
    private static readonly FrozenDictionary<string, string[]> BrokerAliases = TopicConfigs.Definition.Keys
        .Select(k => TopicConfigs.SynonymsOf(k.Name).Select(s => s.BrokerKey).ToArray())
        .Where(g => g.Length > 1)
        .SelectMany(g => g.Select(name => (name, g)))
        .ToFrozenDictionary(p => p.name, p => p.g, StringComparer.Ordinal);

    /// <summary>Every topic config of a topic with the given overrides.</summary>
    public static IEnumerable<ConfigEntry> Topic(IReadOnlyDictionary<string, string?> overrides, ConfigValues broker) =>
        TopicConfigs.DescribeAll(overrides, broker);

    /// <summary>
    /// One broker key under the dynamic overrides <paramref name="dynamicDefaults"/> over the static
    /// settings <paramref name="staticValues"/>. Synonyms list, for the key and its aliases in order,
    /// each layer holding a value: dynamic default, static, default.
    /// </summary>
    public static ConfigEntry Broker(
        string name, IReadOnlyDictionary<string, string> dynamicDefaults, ConfigValues staticValues)
    {
        var key = staticValues.Definition[name];
        var synonyms = new List<ConfigSynonym>(3);
        foreach (var alias in BrokerAliases.GetValueOrDefault(name) ?? [name])
        {
            var aliasKey = staticValues.Definition[alias];
            if (dynamicDefaults.TryGetValue(alias, out var dynamic))
            {
                synonyms.Add(new ConfigSynonym(alias, ConfigDef.Format(staticValues.Definition.Parse(alias, dynamic)), ConfigSource.DynamicDefaultBrokerConfig));
            }
            if (staticValues.IsSet(alias))
            {
                synonyms.Add(new ConfigSynonym(alias, staticValues.Format(alias), staticValues.SourceOf(alias)));
            }
            if (aliasKey.DefaultValue is not null)
            {
                synonyms.Add(new ConfigSynonym(alias, ConfigDef.Format(aliasKey.DefaultValue), ConfigSource.DefaultConfig));
            }
        }
        // The key's own value: its first layer holding one (an alias only backs it through the topic configs).
        var own = synonyms.FirstOrDefault(s => s.Name == name);
        return new ConfigEntry(
            name, own?.Value, own?.Source ?? ConfigSource.DefaultConfig,
            IsReadOnly: !DynamicBrokerKeys.Contains(name), IsSensitive: false, key.Type, key.Documentation, synonyms);
    }

    /// <summary>The DescribeConfigs wire entry; synonyms and documentation only when asked for.</summary>
    public static DescribeConfigsResourceResult ToWire(ConfigEntry e, ConfigKey key, bool includeSynonyms, bool includeDocumentation)
    {
        var result = new DescribeConfigsResourceResult
        {
            Name = e.Name,
            Value = e.IsSensitive ? null : e.Value,
            ReadOnly = e.IsReadOnly,
            IsDefault = e.Source == ConfigSource.DefaultConfig,
            ConfigSource = (sbyte)e.Source,
            IsSensitive = e.IsSensitive,
            ConfigType = WireType(key),
            Documentation = includeDocumentation ? e.Documentation : null,
        };
        if (includeSynonyms)
        {
            foreach (var s in e.Synonyms)
            {
                result.Synonyms.Add(new DescribeConfigsSynonym { Name = s.Name, Value = e.IsSensitive ? null : s.Value, Source = (sbyte)s.Source });
            }
        }
        return result;
    }

    /// <summary>
    /// Kafka's DescribeConfigsResponse.ConfigType id. Durations are Kafka's <c>*.ms</c> longs; sizes are
    /// ints in Kafka except the retention sizes, which are longs.
    /// </summary>
    public static sbyte WireType(ConfigKey key) => key.Type switch
    {
        ConfigType.Boolean => 1,
        ConfigType.String => 2,
        ConfigType.Int => 3,
        ConfigType.Long or ConfigType.Duration => 5,
        ConfigType.Size => key.Name.EndsWith("retention.bytes", StringComparison.Ordinal) ? (sbyte)5 : (sbyte)3,
        ConfigType.Double => 6,
        ConfigType.List => 7,
        _ => 0,
    };

    /// <summary>Parses a BROKER resource name: "" (cluster default) or this node's id; else INVALID_REQUEST with Kafka's message.</summary>
    public static (ErrorCode Code, string? Message) CheckBrokerResource(string name, int nodeId)
    {
        if (name.Length == 0)
        {
            return (ErrorCode.None, null);
        }
        if (!int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            return (ErrorCode.InvalidRequest, $"Broker id must be an integer, but it is: {name}");
        }
        return id == nodeId
            ? (ErrorCode.None, null)
            : (ErrorCode.InvalidRequest, $"Unexpected broker id, expected {nodeId} or empty string, but received {name}");
    }

    public static Dictionary<string, string?> Overrides(TopicImage topic) =>
        topic.Configs.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal);
}
