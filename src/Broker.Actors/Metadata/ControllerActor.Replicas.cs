using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Metadata;

/// <summary>
/// Leader elections and reassignments asked for by admins (Kafka's ReplicationControlManager):
/// ElectLeaders (43), AlterPartitionReassignments (45) and ListPartitionReassignments (46). Each partition
/// is decided against the image as changed by the earlier partitions of the same request, so a partition
/// named twice is decided twice in order. The decisions themselves are <see cref="PartitionLeaderElection"/>
/// and <see cref="ReplicaReassignment"/>.
/// </summary>
internal sealed partial class ControllerActor
{
    internal sealed record ElectLeaders(ElectionType Type, IReadOnlyList<TopicPartitions>? Partitions) : ICommand;
    internal sealed record AlterPartitionReassignments(IReadOnlyList<TopicReassignment> Topics) : ICommand;
    internal sealed record ListPartitionReassignments(IReadOnlyList<TopicPartitions>? Partitions) : ICommand;

    private ControllerResult HandleReplicaCommand(ICommand command) => command switch
    {
        ElectLeaders m => HandleElectLeaders(m),
        AlterPartitionReassignments m => HandleAlterPartitionReassignments(m),
        ListPartitionReassignments m => HandleListPartitionReassignments(m),
        _ => throw new InvalidOperationException($"unknown controller command {command.GetType().Name}"),
    };

    private ControllerResult HandleElectLeaders(ElectLeaders command)
    {
        var working = new WorkingPartitions(Image);
        var results = new List<TopicPartitionResults>();
        if (command.Partitions is null)
        {
            // Every partition; those already led as asked are left out of the answer (Kafka's behaviour).
            foreach (var topic in Image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                var list = new List<PartitionResult>();
                foreach (var p in topic.Partitions)
                {
                    var result = Elect(working, topic, p.Partition, command.Type);
                    if (result.ErrorCode != (short)ErrorCode.ElectionNotNeeded)
                    {
                        list.Add(result);
                    }
                }
                results.Add(new TopicPartitionResults(topic.Name, list));
            }
        }
        else
        {
            foreach (var request in command.Partitions)
            {
                var topic = Image.Topic(request.Topic);
                results.Add(new TopicPartitionResults(request.Topic, [.. request.Partitions.Select(p => topic is null
                    ? new PartitionResult(p, (short)ErrorCode.UnknownTopicOrPartition, $"No such topic as {request.Topic}")
                    : Elect(working, topic, p, command.Type))]));
            }
        }
        if (working.Records.Count > 0)
        {
            Log.LogInformation("{Type} election: {Count} partition leader(s) change", command.Type, working.Records.Count);
        }
        return ControllerResult.Of(results, working.Records);
    }

    private static PartitionResult Elect(WorkingPartitions working, TopicImage topic, int partition, ElectionType type)
    {
        if (working.Get(topic, partition) is not { } p)
        {
            return new PartitionResult(partition, (short)ErrorCode.UnknownTopicOrPartition, $"No such partition as {topic.Name}-{partition}");
        }
        var (change, error) = type == ElectionType.Unclean
            ? PartitionLeaderElection.Unclean(working.Image, topic, p)
            : PartitionLeaderElection.Preferred(working.Image, topic, p);
        if (change is null)
        {
            return new PartitionResult(partition, (short)error, error.Name());
        }
        working.Add(topic, p, change);
        return new PartitionResult(partition, 0, null);
    }

    private ControllerResult HandleAlterPartitionReassignments(AlterPartitionReassignments command)
    {
        var working = new WorkingPartitions(Image);
        var results = new List<TopicPartitionResults>();
        foreach (var request in command.Topics)
        {
            var topic = Image.Topic(request.Topic);
            var list = new List<PartitionResult>();
            foreach (var r in request.Partitions)
            {
                if (topic is null || working.Get(topic, r.Partition) is not { } p)
                {
                    list.Add(new PartitionResult(r.Partition, (short)ErrorCode.UnknownTopicOrPartition, $"Unable to find partition {request.Topic}:{r.Partition}."));
                    continue;
                }
                if (r.Replicas is null)
                {
                    if (!p.IsReassigning)
                    {
                        list.Add(new PartitionResult(r.Partition, (short)ErrorCode.NoReassignmentInProgress, ErrorCode.NoReassignmentInProgress.Name()));
                        continue;
                    }
                    var (revert, error) = ReplicaReassignment.Cancel(working.Image, topic, p);
                    if (error is not null)
                    {
                        list.Add(new PartitionResult(r.Partition, (short)ErrorCode.InvalidReplicaAssignment, error));
                        continue;
                    }
                    working.Add(topic, p, revert);
                    list.Add(new PartitionResult(r.Partition, 0, null));
                    continue;
                }
                if (ReplicaReassignment.Validate(working.Image, r.Replicas) is { } invalid)
                {
                    list.Add(new PartitionResult(r.Partition, (short)ErrorCode.InvalidReplicaAssignment, invalid));
                    continue;
                }
                working.Add(topic, p, ReplicaReassignment.Start(working.Image, topic, p, r.Replicas));
                list.Add(new PartitionResult(r.Partition, 0, null));
            }
            results.Add(new TopicPartitionResults(request.Topic, list));
        }
        if (working.Records.Count > 0)
        {
            Log.LogInformation("reassignment: {Count} partition(s) change replicas", working.Records.Count);
        }
        return ControllerResult.Of(results, working.Records);
    }

    private ControllerResult HandleListPartitionReassignments(ListPartitionReassignments command)
    {
        var image = Image;
        var ongoing = new List<OngoingReassignment>();
        void Add(TopicImage topic, PartitionImage p)
        {
            if (p.IsReassigning)
            {
                ongoing.Add(new OngoingReassignment(topic.Name, p.Partition, [.. p.Replicas], [.. p.AddingReplicas], [.. p.RemovingReplicas]));
            }
        }
        if (command.Partitions is null)
        {
            foreach (var topic in image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                foreach (var p in topic.Partitions)
                {
                    Add(topic, p);
                }
            }
        }
        else
        {
            // Unknown topics and partitions are left out, as Kafka does.
            foreach (var request in command.Partitions)
            {
                if (image.Topic(request.Topic) is not { } topic)
                {
                    continue;
                }
                foreach (var index in request.Partitions.Distinct())
                {
                    if (topic.Partitions.FirstOrDefault(p => p.Partition == index) is { } p)
                    {
                        Add(topic, p);
                    }
                }
            }
        }
        return ControllerResult.Of((IReadOnlyList<OngoingReassignment>)ongoing, []);
    }

    /// <summary>The partitions as one request's earlier decisions left them, and the records of those decisions.</summary>
    private sealed class WorkingPartitions(MetadataImage image)
    {
        private readonly Dictionary<(Guid, int), PartitionImage> _changed = [];

        public MetadataImage Image { get; } = image;

        public List<IKafkaMessage> Records { get; } = [];

        public PartitionImage? Get(TopicImage topic, int partition) =>
            _changed.TryGetValue((topic.Id, partition), out var changed) ? changed
                : topic.Partitions.FirstOrDefault(p => p.Partition == partition);

        public void Add(TopicImage topic, PartitionImage p, PartitionChangeRecord? change)
        {
            if (change is null)
            {
                return;
            }
            Records.Add(change);
            _changed[(topic.Id, p.Partition)] = MetadataDelta.ApplyChange(p, change);
        }
    }
}
