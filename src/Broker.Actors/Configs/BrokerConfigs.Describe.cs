namespace Broker.Actors.Configs;

public static partial class BrokerConfigs
{
    /// <summary>
    /// DescribeConfigs for a BROKER resource: every key with its value and source. Static keys are
    /// read-only (this broker has no dynamic broker configs yet); a key's synonym list holds itself
    /// when it has a value, as Kafka reports for keys without aliases.
    /// </summary>
    public static IReadOnlyList<ConfigEntry> DescribeAll(ConfigValues broker)
        => broker.Definition.Keys.Select(k => Describe(k.Name, broker)).ToArray();

    /// <summary>One key of <see cref="DescribeAll"/>.</summary>
    public static ConfigEntry Describe(string name, ConfigValues broker)
    {
        var key = broker.Definition[name];
        var value = broker.Format(name);
        var source = broker.SourceOf(name);
        IReadOnlyList<ConfigSynonym> synonyms = value is null ? [] : [new ConfigSynonym(name, value, source)];
        return new ConfigEntry(name, value, source, IsReadOnly: true, IsSensitive: false, key.Type, key.Documentation, synonyms);
    }
}
