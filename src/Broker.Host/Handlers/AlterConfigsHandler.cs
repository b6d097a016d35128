using Broker.Actors.Metadata;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// AlterConfigs (v0-2, the entries replace all overrides) and IncrementalAlterConfigs (v0-1: set,
/// delete, append, subtract) for TOPIC and BROKER resources. The request is checked here the way
/// Kafka's ConfigAdminManager does (duplicates, null values, resource names, read-only broker keys);
/// the controller validates the values, turns changes into ConfigRecords and publishes the image,
/// from which the partition logs take their new config.
/// </summary>
internal sealed class AlterConfigsHandler(BrokerNode node)
{
    private readonly record struct Resource(sbyte Type, string Name, List<ConfigEntryChange> Entries);

    public async ValueTask AlterConfigsAsync(RequestContext request)
    {
        var alter = request.Decode<AlterConfigsRequest>();
        var resources = alter.Resources
            .Select(r => new Resource(r.ResourceType, r.ResourceName,
                r.Configs.Select(c => new ConfigEntryChange(c.Name, c.Value)).ToList()))
            .ToList();
        var results = await AlterAsync(resources, incremental: false, alter.ValidateOnly).ConfigureAwait(false);
        var response = new AlterConfigsResponse();
        foreach (var (resource, code, message) in results)
        {
            response.Responses.Add(new AlterConfigsResponse.AlterConfigsResourceResponse
            {
                ResourceType = resource.Type, ResourceName = resource.Name, ErrorCode = (short)code, ErrorMessage = message,
            });
        }
        request.Respond(response);
    }

    public async ValueTask IncrementalAlterConfigsAsync(RequestContext request)
    {
        var alter = request.Decode<IncrementalAlterConfigsRequest>();
        var resources = alter.Resources
            .Select(r => new Resource(r.ResourceType, r.ResourceName,
                r.Configs.Select(c => new ConfigEntryChange(c.Name, c.Value, (ConfigOperation)c.ConfigOperation)).ToList()))
            .ToList();
        var results = await AlterAsync(resources, incremental: true, alter.ValidateOnly).ConfigureAwait(false);
        var response = new IncrementalAlterConfigsResponse();
        foreach (var (resource, code, message) in results)
        {
            response.Responses.Add(new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
            {
                ResourceType = resource.Type, ResourceName = resource.Name, ErrorCode = (short)code, ErrorMessage = message,
            });
        }
        request.Respond(response);
    }

    /// <summary>Checks each resource, sends the valid ones to the controller, and returns results in request order.</summary>
    private async Task<List<(Resource Resource, ErrorCode Code, string? Message)>> AlterAsync(
        List<Resource> resources, bool incremental, bool validateOnly)
    {
        var results = new List<(Resource, ErrorCode, string?)>(resources.Count);
        var changes = new List<ConfigChange>();
        var changeSlots = new List<int>();
        var seen = resources.GroupBy(r => (r.Type, r.Name)).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        foreach (var resource in resources)
        {
            var (code, message) = seen.Contains((resource.Type, resource.Name))
                ? (ErrorCode.InvalidRequest, "Each resource must appear at most once.")
                : Check(resource, incremental);
            results.Add((resource, code, message));
            if (code == ErrorCode.None)
            {
                changes.Add(new ConfigChange((ConfigResourceType)resource.Type, resource.Name, resource.Entries));
                changeSlots.Add(results.Count - 1);
            }
        }
        if (changes.Count > 0)
        {
            var outcome = await node.Controller.AlterConfigsAsync(changes, incremental, validateOnly).ConfigureAwait(false);
            for (var i = 0; i < outcome.Count; i++)
            {
                var slot = changeSlots[i];
                results[slot] = (results[slot].Item1, (ErrorCode)outcome[i].ErrorCode, outcome[i].ErrorMessage);
            }
        }
        return results;
    }

    private (ErrorCode, string?) Check(Resource resource, bool incremental)
    {
        var duplicates = resource.Entries.GroupBy(e => e.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            return (ErrorCode.InvalidRequest, "Error due to duplicate config keys: " + string.Join(", ", duplicates));
        }
        var nulls = resource.Entries
            .Where(e => e.Value is null && (!incremental || e.Operation != ConfigOperation.Delete))
            .Select(e => e.Name)
            .ToList();
        if (nulls.Count > 0)
        {
            return (ErrorCode.InvalidRequest, "Null value not supported for : " + string.Join(", ", nulls));
        }
        if (incremental && resource.Entries.FirstOrDefault(e => e.Operation is < ConfigOperation.Set or > ConfigOperation.Subtract) is { } bad)
        {
            return (ErrorCode.InvalidRequest, $"Unknown operation type {(sbyte)bad.Operation} for config {bad.Name}");
        }
        switch ((ConfigResourceType)resource.Type)
        {
            case ConfigResourceType.Topic:
                return TopicNameRules.IsValid(resource.Name)
                    ? (ErrorCode.None, null)
                    : (ErrorCode.InvalidTopicException, $"Topic name \"{resource.Name}\" is illegal.");
            case ConfigResourceType.Broker:
                var (code, message) = ConfigDescriptions.CheckBrokerResource(resource.Name, node.Settings.NodeId);
                if (code != ErrorCode.None)
                {
                    return (code, message);
                }
                var readOnly = resource.Entries
                    .Select(e => e.Name)
                    .Where(n => node.Settings.Values.Definition.Contains(n) && !ConfigDescriptions.DynamicBrokerKeys.Contains(n))
                    .ToList();
                return readOnly.Count == 0
                    ? (ErrorCode.None, null)
                    : (ErrorCode.InvalidRequest,
                        $"Invalid config value for resource ConfigResource(type=BROKER, name='{resource.Name}'): Cannot update these configs dynamically: Set({string.Join(", ", readOnly)})");
            default:
                return (ErrorCode.InvalidRequest, $"Unexpected resource type {resource.Type}");
        }
    }
}
