using Broker.Host.Network.Client;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Groups;

/// <summary>
/// A minimal KIP-848 consumer over a real socket (no real client here speaks the protocol yet): it heartbeats with
/// everything it owns, gives up at once what its assignment no longer names, and takes up the rest.
/// </summary>
internal sealed class Kip848Client(NodeConnection connection, string groupId, string[] topics, string? instanceId = null) : IAsyncDisposable
{
    public string MemberId { get; private set; } = string.Empty;

    public int Epoch { get; private set; }

    /// <summary>Topic id to the partitions this member uses now.</summary>
    public Dictionary<Guid, SortedSet<int>> Owned { get; } = [];

    public ConsumerGroupHeartbeatResponse? Last { get; private set; }

    public NodeConnection Connection => connection;

    public static async Task<Kip848Client> ConnectAsync(int port, string groupId, string[] topics, string clientId, string? instanceId = null) =>
        new(await NodeConnection.ConnectAsync("127.0.0.1", port, clientId), groupId, topics, instanceId);

    public async Task<ConsumerGroupHeartbeatResponse> HeartbeatAsync()
    {
        var request = new ConsumerGroupHeartbeatRequest
        {
            GroupId = groupId,
            MemberId = MemberId,
            MemberEpoch = Epoch,
            InstanceId = instanceId,
            RebalanceTimeoutMs = 30_000,
            SubscribedTopicNames = topics.ToList(),
            TopicPartitions = Owned.Select(o => new ConsumerGroupHeartbeatRequest.TopicPartitionsData { TopicId = o.Key, Partitions = o.Value.ToList() }).ToList(),
        };
        var response = await connection.SendAsync<ConsumerGroupHeartbeatResponse>(request, 0, TimeSpan.FromSeconds(30));
        Last = response;
        if (response.ErrorCode == 0)
        {
            MemberId = response.MemberId ?? MemberId;
            Epoch = response.MemberEpoch;
            if (response.Assignment is { } assignment)
            {
                Owned.Clear();
                foreach (var tp in assignment.TopicPartitions)
                {
                    Owned[tp.TopicId] = new SortedSet<int>(tp.Partitions);
                }
            }
        }
        return response;
    }

    public async Task<ConsumerGroupHeartbeatResponse> LeaveAsync(int epoch = -1)
    {
        var response = await connection.SendAsync<ConsumerGroupHeartbeatResponse>(new ConsumerGroupHeartbeatRequest
        {
            GroupId = groupId,
            MemberId = MemberId,
            MemberEpoch = epoch,
            InstanceId = instanceId,
        }, 0, TimeSpan.FromSeconds(30));
        Owned.Clear();
        return response;
    }

    public int OwnedCount => Owned.Values.Sum(s => s.Count);

    public IEnumerable<(Guid, int)> OwnedPartitions => Owned.SelectMany(o => o.Value.Select(p => (o.Key, p)));

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
