using Broker.Actors.Configs;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

internal sealed partial class ControllerActor
{
    private IReadOnlyList<ConfigResult> HandleAlterConfigs(AlterConfigs command, out List<IKafkaMessage> records)
    {
        var image = Image;
        var results = new List<ConfigResult>();
        records = [];
        foreach (var change in command.Changes)
        {
            var (code, message, current) = Resolve(image, change);
            if (code != ErrorCode.None)
            {
                results.Add(new ConfigResult(change.ResourceType, change.ResourceName, (short)code, message));
                continue;
            }
            var next = new Dictionary<string, string?>(command.Incremental ? current! : []);
            string? error = null;
            foreach (var entry in change.Entries)
            {
                error = ApplyEntry(change.ResourceType, next, entry, command.Incremental);
                if (error is not null)
                {
                    break;
                }
            }
            if (error is null)
            {
                try
                {
                    if (change.ResourceType == ConfigResourceType.Topic)
                    {
                        TopicConfigs.Validate(next);
                    }
                    else
                    {
                        foreach (var (k, v) in next)
                        {
                            BrokerConfigs.Definition.Parse(k, v);
                        }
                    }
                }
                catch (ConfigException ex)
                {
                    error = ex.Message;
                }
            }
            if (error is not null)
            {
                results.Add(new ConfigResult(change.ResourceType, change.ResourceName, (short)ErrorCode.InvalidConfig, error));
                continue;
            }
            results.Add(new ConfigResult(change.ResourceType, change.ResourceName, 0, null));
            if (command.ValidateOnly)
            {
                continue;
            }
            var resourceName = change.ResourceType == ConfigResourceType.Broker ? "" : change.ResourceName;
            foreach (var key in current!.Keys.Union(next.Keys))
            {
                current.TryGetValue(key, out var before);
                next.TryGetValue(key, out var after);
                if (before != after)
                {
                    records.Add(new ConfigRecord { ResourceType = (sbyte)change.ResourceType, ResourceName = resourceName, Name = key, Value = after });
                }
            }
        }
        return results;
    }

    private static (ErrorCode, string?, Dictionary<string, string?>?) Resolve(MetadataImage image, ConfigChange change)
    {
        switch (change.ResourceType)
        {
            case ConfigResourceType.Topic:
                var topic = image.Topic(change.ResourceName);
                return topic is null
                    ? (ErrorCode.UnknownTopicOrPartition, "Topic " + change.ResourceName + " does not exist.", null)
                    : (ErrorCode.None, null, topic.Configs.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
            case ConfigResourceType.Broker:
                return (ErrorCode.None, null, image.BrokerConfigs.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
            default:
                return (ErrorCode.InvalidRequest, $"Unsupported resource type {change.ResourceType}", null);
        }
    }

    private static string? ApplyEntry(ConfigResourceType type, Dictionary<string, string?> configs, ConfigEntryChange entry, bool incremental)
    {
        var known = type == ConfigResourceType.Topic ? TopicConfigs.Definition.Contains(entry.Name) : BrokerConfigs.Definition.Contains(entry.Name);
        if (!known)
        {
            return $"Unknown {(type == ConfigResourceType.Topic ? "topic" : "broker")} config name: {entry.Name}";
        }
        switch (incremental ? entry.Operation : ConfigOperation.Set)
        {
            case ConfigOperation.Set:
                if (entry.Value is null)
                {
                    configs.Remove(entry.Name);
                }
                else
                {
                    configs[entry.Name] = entry.Value;
                }
                return null;
            case ConfigOperation.Delete:
                configs.Remove(entry.Name);
                return null;
            case ConfigOperation.Append:
            case ConfigOperation.Subtract:
                var def = type == ConfigResourceType.Topic ? TopicConfigs.Definition : BrokerConfigs.Definition;
                if (def[entry.Name].Type != ConfigType.List)
                {
                    return $"Config {entry.Name} is not a list: APPEND and SUBTRACT need a list config";
                }
                var items = configs.GetValueOrDefault(entry.Name) is { Length: > 0 } s ? ConfigDef.ParseList(s).ToList() : [];
                var values = entry.Value is null ? [] : ConfigDef.ParseList(entry.Value);
                if (entry.Operation == ConfigOperation.Append)
                {
                    items.AddRange(values.Where(v => !items.Contains(v)));
                }
                else
                {
                    items.RemoveAll(values.Contains);
                }
                configs[entry.Name] = string.Join(',', items);
                return null;
            default:
                return $"Unknown operation {entry.Operation}";
        }
    }
}
