using System.Buffers.Binary;
using Broker.Actors.Metadata;
using Broker.Host.Network.Client;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Management;

/// <summary>
/// Consumer groups as the cluster sees them, asked over the Kafka protocol like an admin client: each
/// group lives on its coordinator (the leader of its <c>__consumer_offsets</c> partition), so this
/// node asks every live broker (ListGroups), the group's coordinator (FindCoordinator, DescribeGroups,
/// OffsetFetch) and each partition's leader (ListOffsets latest) instead of trusting its own memory.
/// Brokers that do not answer are reported in <c>Errors</c>, not hidden.
/// </summary>
internal sealed class ClusterGroups(BrokerNode node)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<GroupsView> ListAsync(CancellationToken cancellationToken)
    {
        var brokers = LiveBrokers();
        var errors = new List<string>();
        var answers = await Task.WhenAll(brokers.Select(async b =>
        {
            try
            {
                await using var c = await ConnectAsync(b.Host, b.Port, cancellationToken).ConfigureAwait(false);
                var r = await c.SendAsync<ListGroupsResponse>(new ListGroupsRequest(), 4, Timeout, cancellationToken).ConfigureAwait(false);
                return (b.NodeId, Response: r, Error: r.ErrorCode != 0 ? $"node {b.NodeId}: ListGroups {(ErrorCode)r.ErrorCode}" : null);
            }
            catch (Exception e) when (e is NodeConnectionException or TimeoutException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return (b.NodeId, Response: (ListGroupsResponse?)null, Error: $"node {b.NodeId} ({b.Host}:{b.Port}): {e.Message}");
            }
        })).ConfigureAwait(false);
        var groups = new List<GroupListing>();
        foreach (var (nodeId, response, error) in answers)
        {
            if (error is not null)
            {
                errors.Add(error);
            }
            if (response is null || response.ErrorCode != 0)
            {
                continue;
            }
            groups.AddRange(response.Groups.Select(g => new GroupListing(g.GroupId, g.ProtocolType, g.GroupState, nodeId)));
        }
        return new GroupsView([.. groups.OrderBy(g => g.GroupId, StringComparer.Ordinal)], errors);
    }

    public async Task<GroupView?> DescribeAsync(string groupId, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var (coordinatorId, host, port) = await FindCoordinatorAsync(groupId, cancellationToken).ConfigureAwait(false);
        await using var coordinator = await ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        var described = await coordinator.SendAsync<DescribeGroupsResponse>(
            new DescribeGroupsRequest { Groups = [groupId] }, 5, Timeout, cancellationToken).ConfigureAwait(false);
        var group = described.Groups.Single();
        if (group.ErrorCode != 0)
        {
            throw new ManagementProblem(502, $"DescribeGroups {groupId} on node {coordinatorId}: {(ErrorCode)group.ErrorCode}");
        }
        var (state, protocolType, protocol) = (group.GroupState, group.ProtocolType, group.ProtocolData);
        var members = group.Members.Select(m => new GroupMemberView(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
            group.ProtocolType == "consumer" ? DecodeAssignment(m.MemberAssignment.Span) : [])).ToList();
        if (group.GroupState == "Dead" && group.Members.Count == 0
            && await DescribeConsumerGroupAsync(coordinator, groupId, coordinatorId, errors, cancellationToken).ConfigureAwait(false) is { } kip848)
        {
            // Kafka 3.7+ answers DescribeGroups for a KIP-848 group as Dead: ConsumerGroupDescribe has its real state.
            (state, protocolType, protocol) = (kip848.GroupState, "consumer", kip848.AssignorName);
            members = kip848.Members.Select(m => new GroupMemberView(m.MemberId, m.InstanceId, m.ClientId, m.ClientHost,
                [.. m.Assignment.TopicPartitions.OrderBy(t => t.TopicName, StringComparer.Ordinal)
                    .Select(t => new AssignedPartitions(t.TopicName, [.. t.Partitions.Order()]))])).ToList();
        }
        var fetched = await coordinator.SendAsync<OffsetFetchResponse>(
            new OffsetFetchRequest { GroupId = groupId, Topics = null }, 7, Timeout, cancellationToken).ConfigureAwait(false);
        if (fetched.ErrorCode != 0)
        {
            errors.Add($"OffsetFetch on node {coordinatorId}: {(ErrorCode)fetched.ErrorCode}");
        }
        if (state == "Dead" && members.Count == 0 && fetched.Topics.Count == 0)
        {
            return null;
        }

        var owner = new Dictionary<(string, int), string>();
        foreach (var m in members)
        {
            foreach (var a in m.Assignment)
            {
                foreach (var p in a.Partitions)
                {
                    owner[(a.Topic, p)] = m.MemberId;
                }
            }
        }
        var committed = new SortedDictionary<(string Topic, int Partition), long?>();
        foreach (var t in fetched.Topics)
        {
            foreach (var p in t.Partitions.Where(p => p.ErrorCode == 0))
            {
                committed[(t.Name, p.PartitionIndex)] = p.CommittedOffset >= 0 ? p.CommittedOffset : null;
            }
        }
        foreach (var key in owner.Keys)
        {
            committed.TryAdd(key, null);
        }
        var ends = await LogEndOffsetsAsync(committed.Keys, errors, cancellationToken).ConfigureAwait(false);
        var partitions = committed.Select(kv =>
        {
            var end = ends.TryGetValue(kv.Key, out var e) ? e : (long?)null;
            var lag = kv.Value is { } c && end is { } l ? Math.Max(0, l - c) : (long?)null;
            return new GroupPartitionView(kv.Key.Topic, kv.Key.Partition, kv.Value, end, lag, owner.GetValueOrDefault(kv.Key));
        }).ToList();
        return new GroupView(group.GroupId, state, protocolType, protocol, coordinatorId, members, partitions,
            partitions.Sum(p => p.Lag ?? 0), errors);
    }

    /// <summary>ConsumerGroupDescribe (v0) of a KIP-848 group; null when the group is not one (GROUP_ID_NOT_FOUND) or cannot be asked.</summary>
    private static async Task<ConsumerGroupDescribeResponse.DescribedGroup?> DescribeConsumerGroupAsync(NodeConnection coordinator, string groupId,
        int coordinatorId, List<string> errors, CancellationToken cancellationToken)
    {
        var response = await coordinator.SendAsync<ConsumerGroupDescribeResponse>(
            new ConsumerGroupDescribeRequest { GroupIds = [groupId] }, 0, Timeout, cancellationToken).ConfigureAwait(false);
        var described = response.Groups.SingleOrDefault();
        if (described is null || described.ErrorCode == (short)ErrorCode.GroupIdNotFound)
        {
            return null;
        }
        if (described.ErrorCode != 0)
        {
            errors.Add($"ConsumerGroupDescribe on node {coordinatorId}: {(ErrorCode)described.ErrorCode}");
            return null;
        }
        return described;
    }

    /// <summary>ListOffsets (latest) to each partition's leader, grouped by leader.</summary>
    private async Task<Dictionary<(string, int), long>> LogEndOffsetsAsync(
        IEnumerable<(string Topic, int Partition)> partitions, List<string> errors, CancellationToken cancellationToken)
    {
        var image = node.Metadata.Current;
        var byLeader = new Dictionary<int, List<(string Topic, int Partition)>>();
        foreach (var tp in partitions)
        {
            var leader = image.Topic(tp.Topic) is { } t && tp.Partition < t.Partitions.Length ? t.Partitions[tp.Partition].Leader : -1;
            if (leader < 0 || !image.Brokers.ContainsKey(leader))
            {
                errors.Add($"{tp.Topic}-{tp.Partition}: no leader");
                continue;
            }
            (byLeader.TryGetValue(leader, out var list) ? list : byLeader[leader] = []).Add(tp);
        }
        var ends = new Dictionary<(string, int), long>();
        foreach (var (leader, tps) in byLeader)
        {
            var broker = image.Brokers[leader];
            try
            {
                await using var c = await ConnectAsync(broker.Host, broker.Port, cancellationToken).ConfigureAwait(false);
                var request = new ListOffsetsRequest
                {
                    ReplicaId = -1,
                    Topics = [.. tps.GroupBy(tp => tp.Topic).Select(g => new ListOffsetsRequest.ListOffsetsTopic
                    {
                        Name = g.Key,
                        Partitions = [.. g.Select(tp => new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = tp.Partition, Timestamp = -1 })],
                    })],
                };
                var r = await c.SendAsync<ListOffsetsResponse>(request, 5, Timeout, cancellationToken).ConfigureAwait(false);
                foreach (var t in r.Topics)
                {
                    foreach (var p in t.Partitions)
                    {
                        if (p.ErrorCode == 0)
                        {
                            ends[(t.Name, p.PartitionIndex)] = p.Offset;
                        }
                        else
                        {
                            errors.Add($"{t.Name}-{p.PartitionIndex}: ListOffsets on node {leader}: {(ErrorCode)p.ErrorCode}");
                        }
                    }
                }
            }
            catch (Exception e) when (e is NodeConnectionException or TimeoutException or IOException)
            {
                errors.Add($"node {leader} ({broker.Host}:{broker.Port}): {e.Message}");
            }
        }
        return ends;
    }

    private async Task<(int NodeId, string Host, int Port)> FindCoordinatorAsync(string groupId, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        // Any live broker answers FindCoordinator; this node first.
        foreach (var b in LiveBrokers().OrderBy(b => b.NodeId == node.Settings.NodeId ? 0 : 1))
        {
            try
            {
                await using var c = await ConnectAsync(b.Host, b.Port, cancellationToken).ConfigureAwait(false);
                var r = await c.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { Key = groupId, KeyType = 0 }, 3, Timeout, cancellationToken)
                    .ConfigureAwait(false);
                if (r.ErrorCode == 0)
                {
                    return (r.NodeId, r.Host, r.Port);
                }
                failures.Add($"node {b.NodeId}: {(ErrorCode)r.ErrorCode}");
            }
            catch (Exception e) when (e is NodeConnectionException or TimeoutException or IOException)
            {
                failures.Add($"node {b.NodeId}: {e.Message}");
            }
        }
        throw new ManagementProblem(503, $"no coordinator for group {groupId}: {string.Join("; ", failures)}");
    }

    /// <summary>The consumer protocol's Assignment: an int16 version, then the body in that version.</summary>
    internal static IReadOnlyList<AssignedPartitions> DecodeAssignment(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 2)
        {
            return [];
        }
        var version = Math.Min(BinaryPrimitives.ReadInt16BigEndian(bytes), ConsumerProtocolAssignment.HighestVersion);
        try
        {
            var reader = new KafkaReader(bytes[2..].ToArray());
            var assignment = new ConsumerProtocolAssignment();
            assignment.Read(ref reader, (short)Math.Max((short)0, version));
            return [.. assignment.AssignedPartitions.Select(a => new AssignedPartitions(a.Topic, [.. a.Partitions.Order()]))];
        }
        catch (ProtocolException)
        {
            return [];
        }
    }

    private List<BrokerImage> LiveBrokers() => [.. node.Metadata.Current.Brokers.Values.Where(b => !b.Fenced)];

    private static Task<NodeConnection> ConnectAsync(string host, int port, CancellationToken cancellationToken) =>
        NodeConnection.ConnectAsync(host, port, "akkabroker-management", connectTimeout: Timeout, cancellationToken: cancellationToken);
}

/// <summary>A management request that cannot be answered, with the HTTP status to answer instead.</summary>
internal sealed class ManagementProblem(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
