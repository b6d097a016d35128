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

    /// <summary>How long an answer waits for an expired metadata lease to be renewed: a resumed broker's next
    /// heartbeats and its catch-up on the metadata log take well under this; clients time requests out far later.</summary>
    internal static readonly TimeSpan LeaseWait = TimeSpan.FromSeconds(5);

    public async ValueTask HandleAsync(RequestContext request)
    {
        var metadata = request.Decode<MetadataRequest>();
        var version = request.ApiVersion;
        if (!node.InitialLeadership.IsCompleted)
        {
            // A restarted node would answer from the image it replayed locally (no brokers, a topic missing,
            // itself as a leader long deposed) and clients would act on it; Kafka serves clients only after
            // the initial catch-up. Here also until its replicas lead what the image gives it, so a client sent
            // here is not told NOT_LEADER_OR_FOLLOWER. Bounded, so clients still get an answer well inside their
            // request timeout.
            await node.InitialLeadership.WaitAsync(InitialCatchUpWait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        var leaseValid = await node.MetadataLease.WaitAsync(LeaseWait).ConfigureAwait(false);
        var image = node.Metadata.Current;
        if (metadata.Topics is { Count: > 0 } && node.Settings.AutoCreateTopicsEnable && (version < 4 || metadata.AllowAutoTopicCreation))
        {
            var missing = metadata.Topics
                .Where(t => t.Name is { Length: > 0 } name && image.Topic(name) is null && TopicNameRules.IsValid(name))
                .Select(t => new NewTopic(t.Name!, -1, -1, new Dictionary<string, string?>()))
                .ToList();
            if (missing.Count > 0)
            {
                await node.WaitUntilTopicsCanBeCreatedAsync(InitialCatchUpWait).ConfigureAwait(false);
                await node.Controller.CreateTopicsAsync(missing, validateOnly: false).ConfigureAwait(false);
                image = node.Metadata.Current;
            }
        }
        request.Respond(Build(metadata, image, version, leaseValid ? -1 : node.Settings.NodeId));
    }

    /// <summary>The answer from <paramref name="image"/>; <paramref name="unconfirmedLeader"/> (this node while its metadata
    /// lease has expired, else -1) is named leader of nothing: those partitions answer LEADER_NOT_AVAILABLE, so clients
    /// ask again (elsewhere, or here once the lease is renewed) instead of following a leadership that may have moved.</summary>
    private MetadataResponse Build(MetadataRequest metadata, MetadataImage image, short version, int unconfirmedLeader)
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
                response.Topics.Add(Describe(topic, image, unconfirmedLeader));
            }
            return response;
        }
        foreach (var requested in metadata.Topics)
        {
            var topic = requested.Name is { Length: > 0 } name ? image.Topic(name) : image.Topic(requested.TopicId);
            if (topic is not null)
            {
                response.Topics.Add(Describe(topic, image, unconfirmedLeader));
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

    private static MetadataResponse.MetadataResponseTopic Describe(TopicImage topic, MetadataImage image, int unconfirmedLeader)
    {
        var result = new MetadataResponse.MetadataResponseTopic
        {
            Name = topic.Name,
            TopicId = topic.Id,
            IsInternal = topic.Name.StartsWith("__", StringComparison.Ordinal),
        };
        foreach (var p in topic.Partitions)
        {
            var leader = p.Leader == unconfirmedLeader ? -1 : p.Leader;
            result.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                PartitionIndex = p.Partition,
                LeaderId = leader,
                LeaderEpoch = p.LeaderEpoch,
                ReplicaNodes = [.. p.Replicas],
                IsrNodes = [.. p.Isr],
                OfflineReplicas = OfflineReplicas(p, image),
                ErrorCode = (short)(leader < 0 ? ErrorCode.LeaderNotAvailable : ErrorCode.None),
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
