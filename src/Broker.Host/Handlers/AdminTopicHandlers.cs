using Broker.Actors.Metadata;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>CreateTopics, DeleteTopics and CreatePartitions: validated and applied by the controller.</summary>
internal sealed class AdminTopicHandlers(BrokerNode node)
{
    public async ValueTask CreateTopicsAsync(RequestContext request)
    {
        var create = request.Decode<CreateTopicsRequest>();
        var response = new CreateTopicsResponse();
        var topics = new List<NewTopic>();
        foreach (var t in create.Topics)
        {
            var configs = new Dictionary<string, string?>();
            foreach (var c in t.Configs)
            {
                configs[c.Name] = c.Value;
            }
            IReadOnlyDictionary<int, IReadOnlyList<int>>? assignments = t.Assignments.Count == 0 ? null
                : t.Assignments.ToDictionary(a => a.PartitionIndex, a => (IReadOnlyList<int>)a.BrokerIds);
            topics.Add(new NewTopic(t.Name, t.NumPartitions, t.ReplicationFactor, configs, assignments));
        }
        var requested = new Dictionary<string, IReadOnlyDictionary<string, string?>>(StringComparer.Ordinal);
        foreach (var t in topics)
        {
            requested.TryAdd(t.Name, t.Configs);
        }
        // Right after a start the controller may have no unfenced broker yet (BrokerNode.TopicCreation.cs).
        await node.WaitUntilTopicsCanBeCreatedAsync(TimeSpan.FromMilliseconds(create.timeoutMs)).ConfigureAwait(false);
        var results = await node.Controller.CreateTopicsAsync(topics, create.validateOnly).ConfigureAwait(false);
        foreach (var r in results)
        {
            var topic = new CreateTopicsResponse.CreatableTopicResult
            {
                Name = r.Name,
                TopicId = r.TopicId,
                ErrorCode = r.ErrorCode,
                ErrorMessage = r.ErrorMessage,
                NumPartitions = r.NumPartitions,
                ReplicationFactor = r.ReplicationFactor,
            };
            if (r.ErrorCode == 0 && requested.TryGetValue(r.Name, out var overrides))
            {
                AddConfigs(topic, overrides);
            }
            response.Topics.Add(topic);
        }
        request.Respond(response);
    }

    /// <summary>CreateTopics v5+ reports the new topic's effective configs, sorted by name as KRaft does.</summary>
    private void AddConfigs(CreateTopicsResponse.CreatableTopicResult topic, IReadOnlyDictionary<string, string?> overrides)
    {
        var entries = ConfigDescriptions.Topic(overrides, node.BrokerValues(node.Metadata.Current));
        topic.Configs ??= [];
        foreach (var e in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            topic.Configs.Add(new CreateTopicsResponse.CreatableTopicConfigs
            {
                Name = e.Name,
                Value = e.IsSensitive ? null : e.Value,
                ReadOnly = e.IsReadOnly,
                ConfigSource = (sbyte)e.Source,
                IsSensitive = e.IsSensitive,
            });
        }
    }

    public async ValueTask DeleteTopicsAsync(RequestContext request)
    {
        var delete = request.Decode<DeleteTopicsRequest>();
        var refs = new List<TopicRef>();
        foreach (var name in delete.TopicNames)
        {
            refs.Add(new TopicRef(name, Guid.Empty));
        }
        foreach (var t in delete.Topics)
        {
            refs.Add(new TopicRef(t.Name, t.TopicId));
        }
        var results = await node.Controller.DeleteTopicsAsync(refs).ConfigureAwait(false);
        var response = new DeleteTopicsResponse();
        foreach (var r in results)
        {
            response.Responses.Add(new DeleteTopicsResponse.DeletableTopicResult
            {
                Name = r.Name, TopicId = r.TopicId, ErrorCode = r.ErrorCode, ErrorMessage = r.ErrorMessage,
            });
        }
        request.Respond(response);
    }

    public async ValueTask CreatePartitionsAsync(RequestContext request)
    {
        var create = request.Decode<CreatePartitionsRequest>();
        var requests = create.Topics
            .Select(t => new NewPartitions(t.Name, t.Count,
                t.Assignments?.Select(a => (IReadOnlyList<int>)a.BrokerIds).ToList()))
            .ToList();
        await node.WaitUntilTopicsCanBeCreatedAsync(TimeSpan.FromMilliseconds(create.TimeoutMs)).ConfigureAwait(false);
        var results = await node.Controller.CreatePartitionsAsync(requests, create.ValidateOnly).ConfigureAwait(false);
        var response = new CreatePartitionsResponse();
        foreach (var r in results)
        {
            response.Results.Add(new CreatePartitionsResponse.CreatePartitionsTopicResult
            {
                Name = r.Name, ErrorCode = r.ErrorCode, ErrorMessage = r.ErrorMessage,
            });
        }
        request.Respond(response);
    }
}
