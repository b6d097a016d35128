using Broker.Actors.Metadata;
using Broker.Host.Network.Client;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Management;

/// <summary>
/// Builds the management views from the node's latest metadata image and its local replicas.
/// Pure reads: the image is immutable and log offsets come from lock-free snapshots.
/// </summary>
internal static class ClusterView
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// Members as the cluster knows them: every registered broker plus every controller voter, with
    /// roles from the voter list and the registrations, the controller leader and epoch from the
    /// metadata quorum, and a status: <c>fenced</c> is the controller's verdict (no heartbeat within
    /// broker.session.timeout.ms, shut down, or downed), <c>leaving</c> a broker in controlled shutdown, <c>unreachable</c> means not fenced (yet) but not
    /// answering ApiVersions from this node right now (killed, paused, cut off), <c>up</c> otherwise.
    /// </summary>
    public static async Task<MembersView> MembersAsync(BrokerNode node, CancellationToken cancellationToken)
    {
        var image = node.Metadata.Current;
        var voters = node.Settings.ControllerQuorumVoters.ToDictionary(v => v.NodeId);
        var ids = image.Brokers.Keys.Union(voters.Keys).Order().ToList();
        var members = await Task.WhenAll(ids.Select(async id =>
        {
            var self = id == node.Settings.NodeId;
            var registered = image.Brokers.TryGetValue(id, out var b);
            var roles = new List<string>(2);
            if (registered || (self && node.Settings.ProcessRoles.Contains("broker")))
            {
                roles.Add("broker");
            }
            if (voters.ContainsKey(id))
            {
                roles.Add("controller");
            }
            var (host, port) = registered ? (b!.Host, b.Port) : (voters[id].Host, voters[id].Port);
            string status;
            if (registered && b!.Fenced)
            {
                status = "fenced";
            }
            else if (registered && b!.InControlledShutdown)
            {
                status = "leaving"; // asked to leave (brokerctl cluster leave) or shutting down: leads nothing, about to exit
            }
            else if (self)
            {
                status = registered ? "up" : "registering";
            }
            else
            {
                var answers = await AnswersAsync(host, port, cancellationToken).ConfigureAwait(false);
                status = !answers ? "unreachable" : registered ? "up" : "registering";
            }
            return new MemberView(id, host, port, registered ? b!.Rack : null, roles, status, self) { BrokerEpoch = registered ? b!.BrokerEpoch : null };
        })).ConfigureAwait(false);
        var leader = ControllerLeader(node);
        return new MembersView(image.ClusterId, leader.LeaderId, leader.Epoch, image.Offset, members);
    }

    /// <summary>The active controller and its epoch as this node's metadata quorum knows them.</summary>
    internal static QuorumLeader ControllerLeader(BrokerNode node)
    {
        try
        {
            return node.Quorum?.Leader ?? QuorumLeader.Unknown;
        }
        catch (ObjectDisposedException)
        {
            return QuorumLeader.Unknown;
        }
    }

    /// <summary>True when <paramref name="host"/>:<paramref name="port"/> answers an ApiVersions request in time
    /// (a paused process still accepts TCP connections, so a connect alone proves nothing).</summary>
    private static async Task<bool> AnswersAsync(string host, int port, CancellationToken cancellationToken)
    {
        try
        {
            await using var c = await NodeConnection.ConnectAsync(host, port, "akkabroker-management", connectTimeout: ProbeTimeout,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            await c.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0, ProbeTimeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is NodeConnectionException or TimeoutException or IOException or OperationCanceledException or ProtocolException
            && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
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
                    log?.LogStartOffset, log?.LogEndOffset, log?.HighWatermark)
                {
                    AddingReplicas = [.. p.AddingReplicas],
                    RemovingReplicas = [.. p.RemovingReplicas],
                });
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

    /// <summary>Ready: the Kafka listener is bound, this node is registered and unfenced, and it leads what its image gives it.</summary>
    public static bool IsReady(BrokerNode node) =>
        node.Port > 0
        && node.Controller is { } c
        && c.Current.Brokers.TryGetValue(node.Settings.NodeId, out var self)
        && !self.Fenced
        && node.InitialLeadership.IsCompleted;
}
