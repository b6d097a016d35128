using Broker.Actors.Metadata;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// Metadata: brokers, controller and topics from the current metadata image. Unknown topics are
/// created when <c>auto.create.topics.enable</c> is on and the client allows it (v4+).
/// </summary>
internal sealed class MetadataHandler(BrokerNode node)
{
    private static readonly TimeSpan InitialCatchUpWait = TimeSpan.FromSeconds(10);

    public async ValueTask HandleAsync(RequestContext request)
    {
        var metadata = request.Decode<MetadataRequest>();
        var version = request.ApiVersion;
        if (!node.InitialCatchUp.IsCompleted)
        {
            // A restarted node would answer from the image it replayed locally (no brokers, a topic missing,
            // itself as a leader long deposed) and clients would act on it; Kafka serves clients only after
            // the initial catch-up. Bounded, so clients still get an answer well inside their request timeout.
            try
            {
                await node.InitialCatchUp.WaitAsync(InitialCatchUpWait).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // answer from what this node has
            }
        }
        var image = node.Metadata.Current;
        if (metadata.Topics is { Count: > 0 } && node.Settings.AutoCreateTopicsEnable && (version < 4 || metadata.AllowAutoTopicCreation))
        {
            var missing = metadata.Topics
                .Where(t => t.Name is { Length: > 0 } name && image.Topic(name) is null && TopicNameRules.IsValid(name))
                .Select(t => new NewTopic(t.Name!, -1, -1, new Dictionary<string, string?>()))
                .ToList();
            if (missing.Count > 0)
            {
                await node.Controller.CreateTopicsAsync(missing, validateOnly: false).ConfigureAwait(false);
                image = node.Metadata.Current;
            }
        }
        request.Respond(Build(metadata, image, version));
    }

    private MetadataResponse Build(MetadataRequest metadata, MetadataImage image, short version)
    {
        var response = new MetadataResponse
        {
            ClusterId = image.ClusterId,
        };
        foreach (var broker in image.Brokers.Values)
        {
            if (!broker.Fenced)
            {
                response.Brokers.Add(new MetadataResponse.MetadataResponseBroker
                {
                    NodeId = broker.NodeId, Host = broker.Host, Port = broker.Port, Rack = broker.Rack,
                });
            }
        }
        // As KRaft brokers do: admin requests may go to any live broker (it forwards them), so the
        // "controller" is this node when clients can see it, else another listed broker. Clients wait
        // for a controller id they can find among the brokers (librdkafka's CreateTopics does).
        response.ControllerId = response.Brokers.Any(b => b.NodeId == node.Settings.NodeId)
            ? node.Settings.NodeId
            : response.Brokers.Count > 0 ? response.Brokers[0].NodeId : -1;
        if (metadata.Topics is null || (metadata.Topics.Count == 0 && version == 0))
        {
            // null (v1+) or empty (v0) means every topic.
            foreach (var topic in image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                response.Topics.Add(Describe(topic, image));
            }
            return response;
        }
        foreach (var requested in metadata.Topics)
        {
            var topic = requested.Name is { Length: > 0 } name ? image.Topic(name) : image.Topic(requested.TopicId);
            if (topic is not null)
            {
                response.Topics.Add(Describe(topic, image));
                continue;
            }
            var invalid = requested.Name is { Length: > 0 } n && !TopicNameRules.IsValid(n);
            response.Topics.Add(new MetadataResponse.MetadataResponseTopic
            {
                Name = requested.Name,
                TopicId = requested.TopicId,
                ErrorCode = (short)(invalid ? ErrorCode.InvalidTopicException
                    : requested.Name is null or "" ? ErrorCode.UnknownTopicId
                    : ErrorCode.UnknownTopicOrPartition),
            });
        }
        return response;
    }

    private static MetadataResponse.MetadataResponseTopic Describe(TopicImage topic, MetadataImage image)
    {
        var result = new MetadataResponse.MetadataResponseTopic
        {
            Name = topic.Name,
            TopicId = topic.Id,
            IsInternal = topic.Name.StartsWith("__", StringComparison.Ordinal),
        };
        foreach (var p in topic.Partitions)
        {
            result.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                PartitionIndex = p.Partition,
                LeaderId = p.Leader,
                LeaderEpoch = p.LeaderEpoch,
                ReplicaNodes = [.. p.Replicas],
                IsrNodes = [.. p.Isr],
                OfflineReplicas = OfflineReplicas(p, image),
                ErrorCode = (short)(p.Leader < 0 ? ErrorCode.LeaderNotAvailable : ErrorCode.None),
            });
        }
        return result;
    }

    /// <summary>Replicas on brokers that are not alive (unregistered or fenced), plus any the image marks offline.</summary>
    private static List<int> OfflineReplicas(PartitionImage partition, MetadataImage image)
    {
        var offline = new List<int>(partition.OfflineReplicas);
        foreach (var replica in partition.Replicas)
        {
            if ((!image.Brokers.TryGetValue(replica, out var broker) || broker.Fenced) && !offline.Contains(replica))
            {
                offline.Add(replica);
            }
        }
        return offline;
    }
}
