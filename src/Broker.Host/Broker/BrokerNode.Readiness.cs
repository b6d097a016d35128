using Broker.Actors.Partition;

namespace Broker.Host;

// When a (re)started node is ready for clients: caught up with the metadata log (InitialCatchUp), and leading
// every partition its image gives it. The controller elects it leader in the batch that unfences it; its partition
// actors take the role a moment later, when they apply that image. Until then a client sent here by Metadata would
// get NOT_LEADER_OR_FOLLOWER, so Metadata answers and /ready wait for both (bounded in MetadataHandler).
public sealed partial class BrokerNode
{
    private readonly TaskCompletionSource _initialLeadership = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once, after <see cref="InitialCatchUp"/>, the local replicas lead every partition the image
    /// names this node leader of (checked again after each applied image and leadership change until then).</summary>
    internal Task InitialLeadership => _initialLeadership.Task;

    private void WatchInitialLeadership()
    {
        _ = InitialCatchUp.ContinueWith(_ =>
        {
            Replicas.Applied += CheckInitialLeadership;
            Replicas.LeadershipChanged += OnLeadershipChanged;
            CheckInitialLeadership();
        }, TaskScheduler.Default);
    }

    private void OnLeadershipChanged(PartitionHandle handle) => CheckInitialLeadership();

    private void CheckInitialLeadership()
    {
        if (_initialLeadership.Task.IsCompleted)
        {
            return;
        }
        var image = MetadataPublisher.Current;
        foreach (var topic in image.TopicsByName.Values)
        {
            foreach (var p in topic.Partitions)
            {
                if (p.Leader != Settings.NodeId)
                {
                    continue;
                }
                var state = Replicas.Get(topic.Name, p.Partition)?.State;
                if (state is null || !state.IsLeader || state.LeaderId != Settings.NodeId || state.LeaderEpoch < p.LeaderEpoch)
                {
                    return;
                }
            }
        }
        if (_initialLeadership.TrySetResult())
        {
            Replicas.Applied -= CheckInitialLeadership;
            Replicas.LeadershipChanged -= OnLeadershipChanged;
        }
    }
}
