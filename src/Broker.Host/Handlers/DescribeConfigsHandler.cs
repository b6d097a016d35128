using Broker.Actors.Configs;
using Broker.Actors.Metadata;
using Broker.Host.Network;
using Broker.Protocol.Messages;
using static Broker.Protocol.Messages.DescribeConfigsResponse;

namespace Broker.Host.Handlers;

/// <summary>
/// DescribeConfigs (v0-4) for TOPIC and BROKER resources, answered from the metadata image: every
/// config (or the requested keys) with its effective value, source, read-only flag, synonyms (v1+,
/// when asked) and documentation and type (v3+).
/// </summary>
internal sealed class DescribeConfigsHandler(BrokerNode node)
{
    public void Handle(RequestContext request)
    {
        var describe = request.Decode<DescribeConfigsRequest>();
        var image = node.Metadata.Current;
        var response = new DescribeConfigsResponse();
        foreach (var resource in describe.Resources)
        {
            var result = new DescribeConfigsResult
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorMessage = null,
            };
            // Null or empty key list: every config (Kafka treats both the same).
            var keys = resource.ConfigurationKeys is { Count: > 0 } k ? new HashSet<string>(k, StringComparer.Ordinal) : null;
            switch ((ConfigResourceType)resource.ResourceType)
            {
                case ConfigResourceType.Topic:
                    DescribeTopic(image, resource.ResourceName, keys, describe, result);
                    break;
                case ConfigResourceType.Broker:
                    DescribeBroker(image, resource.ResourceName, keys, describe, result);
                    break;
                default:
                    Fail(result, ErrorCode.InvalidRequest, $"Unsupported resource type: {resource.ResourceType}");
                    break;
            }
            response.Results.Add(result);
        }
        request.Respond(response);
    }

    private void DescribeTopic(MetadataImage image, string name, HashSet<string>? keys, DescribeConfigsRequest describe, DescribeConfigsResult result)
    {
        if (!TopicNameRules.IsValid(name))
        {
            Fail(result, ErrorCode.InvalidTopicException, $"Topic name \"{name}\" is illegal.");
            return;
        }
        if (image.Topic(name) is not { } topic)
        {
            Fail(result, ErrorCode.UnknownTopicOrPartition, $"The topic '{name}' does not exist.");
            return;
        }
        var overrides = ConfigDescriptions.Overrides(topic);
        var broker = node.BrokerValues(image);
        foreach (var key in TopicConfigs.Definition.Keys)
        {
            if (keys is null || keys.Contains(key.Name))
            {
                var entry = TopicConfigs.Describe(key.Name, overrides, broker);
                result.Configs.Add(ConfigDescriptions.ToWire(entry, key, describe.IncludeSynonyms, describe.IncludeDocumentation));
            }
        }
    }

    private void DescribeBroker(MetadataImage image, string name, HashSet<string>? keys, DescribeConfigsRequest describe, DescribeConfigsResult result)
    {
        var (code, message) = ConfigDescriptions.CheckBrokerResource(name, node.Settings.NodeId);
        if (code != ErrorCode.None)
        {
            Fail(result, code, message);
            return;
        }
        var staticValues = node.Settings.Values;
        foreach (var key in staticValues.Definition.Keys)
        {
            // The cluster-default resource ("") holds only the dynamic defaults, as in Kafka.
            if ((keys is null || keys.Contains(key.Name)) && (name.Length > 0 || image.BrokerConfigs.ContainsKey(key.Name)))
            {
                var entry = ConfigDescriptions.Broker(key.Name, image.BrokerConfigs, staticValues);
                result.Configs.Add(ConfigDescriptions.ToWire(entry, key, describe.IncludeSynonyms, describe.IncludeDocumentation));
            }
        }
    }

    private static void Fail(DescribeConfigsResult result, ErrorCode code, string? message)
    {
        result.ErrorCode = (short)code;
        result.ErrorMessage = message;
    }
}
