using Broker.Actors.Metadata;
using Broker.Protocol.Messages;

namespace Broker.Host.Cluster;

/// <summary>The admin commands: each built as the Kafka request the controller's handlers serve.</summary>
public sealed partial class ForwardingController
{
    public async Task<IReadOnlyList<TopicResult>> CreateTopicsAsync(IReadOnlyList<NewTopic> topics, bool validateOnly)
    {
        var results = await RouteAsync(c => c.CreateTopicsAsync(topics, validateOnly), async () =>
        {
            var request = new CreateTopicsRequest { timeoutMs = (int)ForwardTimeout.TotalMilliseconds, validateOnly = validateOnly };
            foreach (var t in topics)
            {
                var topic = new CreateTopicsRequest.CreatableTopic { Name = t.Name, NumPartitions = t.NumPartitions, ReplicationFactor = t.ReplicationFactor };
                foreach (var (name, value) in t.Configs)
                {
                    topic.Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = name, Value = value });
                }
                foreach (var (partition, brokers) in t.Assignments ?? new Dictionary<int, IReadOnlyList<int>>())
                {
                    topic.Assignments.Add(new CreateTopicsRequest.CreatableReplicaAssignment { PartitionIndex = partition, BrokerIds = [.. brokers] });
                }
                request.Topics.Add(topic);
            }
            var response = await _channel.SendAsync<CreateTopicsResponse>(request, CreateTopicsRequest.HighestVersion).ConfigureAwait(false);
            if (response is null || AllNotController(response.Topics, t => t.ErrorCode))
            {
                return null;
            }
            IReadOnlyList<TopicResult> list = [.. response.Topics.Select(t => new TopicResult(t.Name, t.TopicId, t.ErrorCode, t.ErrorMessage, t.NumPartitions, t.ReplicationFactor))];
            if (!validateOnly)
            {
                var created = list.Where(r => r.ErrorCode == 0).Select(r => r.Name).ToList();
                await _publisher.WaitForAsync(image => created.All(n => image.Topic(n) is not null), ImageWait).ConfigureAwait(false);
            }
            return list;
        }).ConfigureAwait(false);
        return results ?? [.. topics.Select(t => NotControllerResult(t.Name))];
    }

    public async Task<IReadOnlyList<TopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicRef> topics)
    {
        var results = await RouteAsync(c => c.DeleteTopicsAsync(topics), async () =>
        {
            var request = new DeleteTopicsRequest { TimeoutMs = (int)ForwardTimeout.TotalMilliseconds };
            foreach (var t in topics)
            {
                request.Topics.Add(new DeleteTopicsRequest.DeleteTopicState { Name = t.Name, TopicId = t.Id });
            }
            var response = await _channel.SendAsync<DeleteTopicsResponse>(request, DeleteTopicsRequest.HighestVersion).ConfigureAwait(false);
            if (response is null || AllNotController(response.Responses, t => t.ErrorCode))
            {
                return null;
            }
            IReadOnlyList<TopicResult> list = [.. response.Responses.Select(t => new TopicResult(t.Name ?? "", t.TopicId, t.ErrorCode, t.ErrorMessage))];
            var deleted = list.Where(r => r.ErrorCode == 0).Select(r => r.TopicId).ToList();
            await _publisher.WaitForAsync(image => deleted.All(id => image.Topic(id) is null), ImageWait).ConfigureAwait(false);
            return list;
        }).ConfigureAwait(false);
        return results ?? [.. topics.Select(t => NotControllerResult(t.Name ?? ""))];
    }

    public async Task<IReadOnlyList<TopicResult>> CreatePartitionsAsync(IReadOnlyList<NewPartitions> requests, bool validateOnly)
    {
        var results = await RouteAsync(c => c.CreatePartitionsAsync(requests, validateOnly), async () =>
        {
            var request = new CreatePartitionsRequest { TimeoutMs = (int)ForwardTimeout.TotalMilliseconds, ValidateOnly = validateOnly };
            foreach (var r in requests)
            {
                request.Topics.Add(new CreatePartitionsRequest.CreatePartitionsTopic
                {
                    Name = r.Topic,
                    Count = r.Count,
                    Assignments = r.Assignments?.Select(a => new CreatePartitionsRequest.CreatePartitionsAssignment { BrokerIds = [.. a] }).ToList(),
                });
            }
            var response = await _channel.SendAsync<CreatePartitionsResponse>(request, CreatePartitionsRequest.HighestVersion).ConfigureAwait(false);
            if (response is null || AllNotController(response.Results, t => t.ErrorCode))
            {
                return null;
            }
            IReadOnlyList<TopicResult> list = [.. response.Results.Select(t => new TopicResult(t.Name, Guid.Empty, t.ErrorCode, t.ErrorMessage))];
            if (!validateOnly)
            {
                var grown = requests.Where(r => list.Any(l => l.Name == r.Topic && l.ErrorCode == 0)).ToList();
                await _publisher.WaitForAsync(image => grown.All(g => image.Topic(g.Topic)?.Partitions.Length >= g.Count), ImageWait).ConfigureAwait(false);
            }
            return list;
        }).ConfigureAwait(false);
        return results ?? [.. requests.Select(r => NotControllerResult(r.Topic))];
    }

    public async Task<IReadOnlyList<ConfigResult>> AlterConfigsAsync(IReadOnlyList<ConfigChange> changes, bool incremental, bool validateOnly)
    {
        var results = await RouteAsync(c => c.AlterConfigsAsync(changes, incremental, validateOnly), async () =>
        {
            IReadOnlyList<ConfigResult>? list;
            if (incremental)
            {
                var request = new IncrementalAlterConfigsRequest { ValidateOnly = validateOnly };
                foreach (var change in changes)
                {
                    var resource = new IncrementalAlterConfigsRequest.AlterConfigsResource { ResourceType = (sbyte)change.ResourceType, ResourceName = change.ResourceName };
                    foreach (var e in change.Entries)
                    {
                        resource.Configs.Add(new IncrementalAlterConfigsRequest.AlterableConfig { Name = e.Name, Value = e.Value, ConfigOperation = (sbyte)e.Operation });
                    }
                    request.Resources.Add(resource);
                }
                var response = await _channel.SendAsync<IncrementalAlterConfigsResponse>(request, IncrementalAlterConfigsRequest.HighestVersion).ConfigureAwait(false);
                list = response is null || AllNotController(response.Responses, r => r.ErrorCode) ? null
                    : [.. response.Responses.Select(r => new ConfigResult((ConfigResourceType)r.ResourceType, r.ResourceName, r.ErrorCode, r.ErrorMessage))];
            }
            else
            {
                var request = new AlterConfigsRequest { ValidateOnly = validateOnly };
                foreach (var change in changes)
                {
                    var resource = new AlterConfigsRequest.AlterConfigsResource { ResourceType = (sbyte)change.ResourceType, ResourceName = change.ResourceName };
                    foreach (var e in change.Entries)
                    {
                        resource.Configs.Add(new AlterConfigsRequest.AlterableConfig { Name = e.Name, Value = e.Value });
                    }
                    request.Resources.Add(resource);
                }
                var response = await _channel.SendAsync<AlterConfigsResponse>(request, AlterConfigsRequest.HighestVersion).ConfigureAwait(false);
                list = response is null || AllNotController(response.Responses, r => r.ErrorCode) ? null
                    : [.. response.Responses.Select(r => new ConfigResult((ConfigResourceType)r.ResourceType, r.ResourceName, r.ErrorCode, r.ErrorMessage))];
            }
            if (list is not null && !validateOnly)
            {
                var applied = changes.Where(c => list.Any(r => r.ResourceName == c.ResourceName && r.ErrorCode == 0)).ToList();
                await _publisher.WaitForAsync(image => applied.All(c => Shows(image, c, incremental)), ImageWait).ConfigureAwait(false);
            }
            return list;
        }).ConfigureAwait(false);
        return results ?? [.. changes.Select(c => new ConfigResult(c.ResourceType, c.ResourceName, (short)ErrorCode.NotController, "There is no active controller."))];
    }

    /// <summary>Whether the image already has the plain sets and deletes of a change (lists are not checked).</summary>
    private static bool Shows(MetadataImage image, ConfigChange change, bool incremental)
    {
        var configs = change.ResourceType switch
        {
            ConfigResourceType.Topic => image.Topic(change.ResourceName)?.Configs,
            ConfigResourceType.Broker => image.BrokerConfigs,
            _ => null,
        };
        if (configs is null)
        {
            return true;
        }
        foreach (var e in change.Entries)
        {
            var op = incremental ? e.Operation : ConfigOperation.Set;
            if (op == ConfigOperation.Set && e.Value is not null && configs.GetValueOrDefault(e.Name) != e.Value)
            {
                return false;
            }
            if ((op == ConfigOperation.Delete || (op == ConfigOperation.Set && e.Value is null)) && configs.ContainsKey(e.Name))
            {
                return false;
            }
        }
        return true;
    }

    private static TopicResult NotControllerResult(string name) =>
        new(name, Guid.Empty, (short)ErrorCode.NotController, "There is no active controller.");
}
