using Broker.Actors.Configs;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

internal sealed partial class ControllerActor
{
    private IReadOnlyList<TopicResult> HandleCreateTopics(CreateTopics command, out List<IKafkaMessage> records) =>
        ControllerDecisions.CreateTopics(Image, _settings, command, Guid.NewGuid, Random.Shared, out records);

    private IReadOnlyList<TopicResult> HandleDeleteTopics(DeleteTopics command, out List<IKafkaMessage> records)
    {
        var image = Image;
        var results = new List<TopicResult>();
        records = [];
        foreach (var topicRef in command.Topics)
        {
            var topic = topicRef.Id != Guid.Empty ? image.Topic(topicRef.Id) : topicRef.Name is { } n ? image.Topic(n) : null;
            if (topic is null)
            {
                results.Add(new TopicResult(topicRef.Name ?? "", topicRef.Id,
                    (short)(topicRef.Id != Guid.Empty ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition),
                    "This server does not host this topic."));
                continue;
            }
            results.Add(new TopicResult(topic.Name, topic.Id, 0, null));
            if (!records.OfType<RemoveTopicRecord>().Any(r => r.TopicId == topic.Id))
            {
                records.Add(new RemoveTopicRecord { TopicId = topic.Id });
            }
        }
        return results;
    }

    private IReadOnlyList<TopicResult> HandleCreatePartitions(CreatePartitions command, out List<IKafkaMessage> records)
    {
        var image = Image;
        var results = new List<TopicResult>();
        records = [];
        var placer = ReplicaPlacer.For(image, _settings.NodeId);
        foreach (var request in command.Requests)
        {
            var topic = image.Topic(request.Topic);
            if (topic is null)
            {
                results.Add(Error(request.Topic, ErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition."));
                continue;
            }
            var current = topic.Partitions.Length;
            if (request.Count < current)
            {
                results.Add(Error(request.Topic, ErrorCode.InvalidPartitions, $"Topic currently has {current} partitions, which is higher than the requested {request.Count}."));
                continue;
            }
            if (request.Count == current)
            {
                results.Add(Error(request.Topic, ErrorCode.InvalidPartitions, $"Topic already has {current} partitions."));
                continue;
            }
            var rf = topic.Partitions[0].Replicas.Length;
            if (request.Assignments is null && rf > placer.BrokerCount)
            {
                results.Add(Error(request.Topic, ErrorCode.InvalidReplicationFactor, $"The replication factor {rf} is larger than the {placer.BrokerCount} usable broker(s)."));
                continue;
            }
            if (request.Assignments is { } a && a.Count != request.Count - current)
            {
                results.Add(Error(request.Topic, ErrorCode.InvalidReplicaAssignment, $"Increasing the number of partitions by {request.Count - current} but {a.Count} assignments provided."));
                continue;
            }
            results.Add(new TopicResult(topic.Name, topic.Id, 0, null));
            if (command.ValidateOnly)
            {
                continue;
            }
            for (var p = current; p < request.Count; p++)
            {
                var replicas = request.Assignments?[p - current].ToList() ?? placer.Place(p, rf);
                records.Add(new PartitionRecord
                {
                    PartitionId = p, TopicId = topic.Id, Replicas = replicas, Isr = [.. replicas],
                    Leader = replicas[0], LeaderEpoch = 0, PartitionEpoch = 0,
                });
            }
        }
        return results;
    }
}

/// <summary>Kafka's topic naming rules.</summary>
public static class TopicNameRules
{
    public const int MaxLength = 249;

    /// <summary>Null when valid, else the reason (Kafka's wording).</summary>
    public static string? Validate(string name)
    {
        if (name.Length == 0)
        {
            return "Topic name is illegal, it can't be empty";
        }
        if (name is "." or "..")
        {
            return "Topic name cannot be \".\" or \"..\"";
        }
        if (name.Length > MaxLength)
        {
            return $"Topic name is illegal, it can't be longer than {MaxLength} characters, topic name: {name}";
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
            }
        }
        return null;
    }

    public static bool IsValid(string name) => Validate(name) is null;

    /// <summary>'.' and '_' collide in metric names, so Kafka refuses topics that differ only by them.</summary>
    public static bool Collides(string a, string b) =>
        a != b && a.Replace('.', '_') == b.Replace('.', '_');
}
