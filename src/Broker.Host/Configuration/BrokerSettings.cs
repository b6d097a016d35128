using Broker.Actors.Configs;
using Microsoft.Extensions.Configuration;

namespace Broker.Host.Configuration;

/// <summary>
/// The broker's validated configuration: every key of <see cref="BrokerConfigs"/> parsed at start
/// (a bad value stops the process before anything listens), typed properties for what the host
/// needs, and <see cref="Values"/> for everything else (and for DescribeConfigs' sources).
/// </summary>
public sealed class BrokerSettings
{
    private BrokerSettings(ConfigValues values, IReadOnlyList<string> ignoredKeys)
    {
        Values = values;
        IgnoredKeys = ignoredKeys;
        NodeId = values.GetInt(BrokerConfigs.NodeId);
        ProcessRoles = values.GetList(BrokerConfigs.ProcessRoles);
        Listeners = ListenerEndpoint.ParseList(values.GetList(BrokerConfigs.Listeners), BrokerConfigs.Listeners);
        AdvertisedListeners = values[BrokerConfigs.AdvertisedListeners] is IReadOnlyList<string> advertised
            ? ListenerEndpoint.ParseList(advertised, BrokerConfigs.AdvertisedListeners)
            : Listeners;
        ControllerQuorumVoters = QuorumVoter.ParseList(values.GetList(BrokerConfigs.ControllerQuorumVoters), BrokerConfigs.ControllerQuorumVoters);
        LogDirs = values.GetList(BrokerConfigs.LogDirs).Select(Path.GetFullPath).ToArray();
        MetadataLogDir = values.GetString(BrokerConfigs.MetadataLogDir) is { Length: > 0 } m ? Path.GetFullPath(m) : LogDirs[0];
        ManagementHttpListener = values.GetString(BrokerConfigs.ManagementHttpListener) is { Length: > 0 } h ? h : null;
        Validate();
    }

    /// <summary>All broker values with their sources.</summary>
    public ConfigValues Values { get; }

    /// <summary>Keys outside the broker's namespaces that were ignored (worth a warning).</summary>
    public IReadOnlyList<string> IgnoredKeys { get; }

    public int NodeId { get; }

    public IReadOnlyList<string> ProcessRoles { get; }

    public bool IsBroker => ProcessRoles.Contains("broker");

    public bool IsController => ProcessRoles.Contains("controller");

    public IReadOnlyList<ListenerEndpoint> Listeners { get; }

    /// <summary>What clients are told (Metadata); <see cref="Listeners"/> when not set.</summary>
    public IReadOnlyList<ListenerEndpoint> AdvertisedListeners { get; }

    public IReadOnlyList<QuorumVoter> ControllerQuorumVoters { get; }

    /// <summary>Absolute log directories (relative ones resolved against the working directory at start).</summary>
    public IReadOnlyList<string> LogDirs { get; }

    /// <summary>Absolute directory of the metadata log: <c>metadata.log.dir</c> or the first log dir.</summary>
    public string MetadataLogDir { get; }

    public int NumNetworkThreads => Values.GetInt(BrokerConfigs.NumNetworkThreads);

    public int NumIoThreads => Values.GetInt(BrokerConfigs.NumIoThreads);

    public int QueuedMaxRequests => Values.GetInt(BrokerConfigs.QueuedMaxRequests);

    public int SocketRequestMaxBytes => checked((int)Values.GetLong(BrokerConfigs.SocketRequestMaxBytes));

    public int MessageMaxBytes => checked((int)Values.GetLong(BrokerConfigs.MessageMaxBytes));

    public bool AutoCreateTopicsEnable => Values.GetBoolean(BrokerConfigs.AutoCreateTopicsEnable);

    public int NumPartitions => Values.GetInt(BrokerConfigs.NumPartitions);

    public short DefaultReplicationFactor => checked((short)Values.GetInt(BrokerConfigs.DefaultReplicationFactor));

    public string? BrokerRack => Values.GetString(BrokerConfigs.BrokerRack);

    /// <summary><c>host:port</c> of the management HTTP endpoint, or null when it is off.</summary>
    public string? ManagementHttpListener { get; }

    public bool ManagementHttpAllowStateChanges => Values.GetBoolean(BrokerConfigs.ManagementHttpAllowStateChanges);

    /// <summary>Effective log config of a topic without overrides (broker synonyms applied).</summary>
    public ConfigValues TopicDefaults => TopicConfigs.Resolve(new Dictionary<string, string?>(), Values);

    /// <summary>Builds and validates settings; throws <see cref="ConfigException"/> naming the first bad key.</summary>
    public static BrokerSettings FromConfiguration(IConfiguration configuration)
    {
        var raw = BrokerConfigReader.Read(configuration, BrokerConfigs.Definition, out var ignored);
        return FromValues(raw, ignored);
    }

    /// <summary>Builds and validates settings from Kafka-style <c>key=value</c> strings.</summary>
    public static BrokerSettings FromValues(IReadOnlyDictionary<string, string?> raw, IReadOnlyList<string>? ignoredKeys = null)
        => new(BrokerConfigs.Definition.ParseAll(raw).WithDefaultValuesAsDefaultSource(), ignoredKeys ?? []);

    /// <summary>Rules that span keys (KafkaConfig's validateValues).</summary>
    private void Validate()
    {
        var listenerNames = Listeners.Select(l => l.ListenerName).ToHashSet(StringComparer.Ordinal);
        foreach (var a in AdvertisedListeners)
        {
            if (!listenerNames.Contains(a.ListenerName))
            {
                throw new ConfigException(BrokerConfigs.AdvertisedListeners, $"listener name '{a.ListenerName}' is not in listeners");
            }
        }

        if (ControllerQuorumVoters.Count == 0)
        {
            throw new ConfigException(BrokerConfigs.ControllerQuorumVoters, "must name at least one controller (id@host:port)");
        }

        if (IsController && !ControllerQuorumVoters.Any(v => v.NodeId == NodeId))
        {
            throw new ConfigException(BrokerConfigs.ControllerQuorumVoters, $"must include this node ({NodeId}) because process.roles has controller");
        }

        if (!IsController && ControllerQuorumVoters.Any(v => v.NodeId == NodeId))
        {
            throw new ConfigException(BrokerConfigs.NodeId, $"{NodeId} is a controller voter but process.roles has no controller");
        }

        if (Values.GetLong(BrokerConfigs.GroupMinSessionTimeoutMs) > Values.GetLong(BrokerConfigs.GroupMaxSessionTimeoutMs))
        {
            throw new ConfigException(BrokerConfigs.GroupMaxSessionTimeoutMs, "must not be less than group.min.session.timeout.ms");
        }

        if (Values.GetLong(BrokerConfigs.BrokerHeartbeatIntervalMs) >= Values.GetLong(BrokerConfigs.BrokerSessionTimeoutMs))
        {
            throw new ConfigException(BrokerConfigs.BrokerHeartbeatIntervalMs, "must be less than broker.session.timeout.ms");
        }

        if (Values.GetLong(BrokerConfigs.ControllerBrokerLivenessProbeIntervalMs) >= Values.GetLong(BrokerConfigs.BrokerSessionTimeoutMs))
        {
            throw new ConfigException(BrokerConfigs.ControllerBrokerLivenessProbeIntervalMs, "must be less than broker.session.timeout.ms (0 turns the probe off)");
        }
    }
}
