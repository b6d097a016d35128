using System.Collections.Immutable;
using Broker.Actors.Configs;
using Broker.Actors.Metadata;

namespace Broker.Host;

public sealed partial class BrokerNode
{
    private DynamicBrokerValues? _brokerValues;

    /// <summary>
    /// The broker config in effect under <paramref name="image"/>: the static settings with the cluster's
    /// dynamic broker overrides (AlterConfigs on a BROKER resource) on top, reported as
    /// DYNAMIC_DEFAULT_BROKER_CONFIG. Cached per override map: every image publication asks for it once
    /// per topic, and the overrides rarely change.
    /// </summary>
    internal ConfigValues BrokerValues(MetadataImage image)
    {
        var overrides = image.BrokerConfigs;
        if (overrides.IsEmpty)
        {
            return Settings.Values;
        }
        var cached = Volatile.Read(ref _brokerValues);
        if (cached is not null && ReferenceEquals(cached.Overrides, overrides))
        {
            return cached.Values;
        }
        var values = Settings.Values.WithOverrides(
            overrides.ToDictionary(kv => kv.Key, kv => (string?)kv.Value), ConfigSource.DynamicDefaultBrokerConfig);
        Volatile.Write(ref _brokerValues, new DynamicBrokerValues(overrides, values));
        return values;
    }
}

internal sealed record DynamicBrokerValues(ImmutableDictionary<string, string> Overrides, ConfigValues Values);
