using Broker.Actors.Metadata;

namespace Broker.Host.Management;

/// <summary>
/// Builds the management views from the node's latest metadata image and its local replicas.
/// Pure reads: the image is immutable and log offsets come from lock-free snapshots.
/// </summary>
internal static class ClusterView
{
    /// <summary>Single node: the one controller voter is always the leader of epoch 1 (no Raft yet).</summary>
    internal const int SingleNodeControllerEpoch = 1;

    public static MembersView Members(BrokerNode node)
    {
        var image = node.Metadata.Current;
        var members = new List<MemberView>(image.Brokers.Count);
        foreach (var b in image.Brokers.Values)
        {
            var self = b.NodeId == node.Settings.NodeId;
            members.Add(new MemberView(b.NodeId, b.Host, b.Port, b.Rack,
                self ? node.Settings.ProcessRoles : ["broker"],
                b.Fenced ? "fenced" : "up", self));
        }
        var controllerId = node.Settings.IsController ? node.Settings.NodeId
            : node.Settings.ControllerQuorumVoters.Count > 0 ? node.Settings.ControllerQuorumVoters[0].NodeId : -1;
        return new MembersView(image.ClusterId, controllerId, SingleNodeControllerEpoch, image.Offset, members);
    }

    public static PartitionsView Partitions(BrokerNode node)
    {
        var image = node.Metadata.Current;
        var topics = new List<TopicView>(image.TopicsByName.Count);
        foreach (var topic in image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var partitions = new List<PartitionView>(topic.Partitions.Length);
            foreach (var p in topic.Partitions)
            {
                var log = node.Replicas.Get(topic.Name, p.Partition)?.Log;
                partitions.Add(new PartitionView(p.Partition, p.Leader, p.LeaderEpoch, [.. p.Replicas], [.. p.Isr],
                    log?.LogStartOffset, log?.LogEndOffset, log?.HighWatermark));
            }
            topics.Add(new TopicView(topic.Name, topic.Id, partitions));
        }
        return new PartitionsView(topics);
    }

    public static RegionStatsView RegionStats(BrokerNode node)
    {
        var image = node.Metadata.Current;
        var stats = new SortedDictionary<int, (int Replicas, int Leaders)>();
        foreach (var id in image.Brokers.Keys)
        {
            stats[id] = (0, 0);
        }
        foreach (var topic in image.TopicsByName.Values)
        {
            foreach (var p in topic.Partitions)
            {
                foreach (var r in p.Replicas)
                {
                    var s = stats.GetValueOrDefault(r);
                    stats[r] = (s.Replicas + 1, s.Leaders + (r == p.Leader ? 1 : 0));
                }
            }
        }
        return new RegionStatsView([.. stats.Select(kv => new NodeRegionStats(kv.Key, kv.Value.Replicas, kv.Value.Leaders))]);
    }

    /// <summary>Ready: the Kafka listener is bound and this node is registered and unfenced.</summary>
    public static bool IsReady(BrokerNode node) =>
        node.Port > 0
        && node.Controller is { } c
        && c.Current.Brokers.TryGetValue(node.Settings.NodeId, out var self)
        && !self.Fenced;
}
