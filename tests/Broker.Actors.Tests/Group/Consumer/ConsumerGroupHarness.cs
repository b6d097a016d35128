using Broker.Actors.Group.Consumer;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group.Consumer;

/// <summary>Topics for the coordinator under test; bump <see cref="Version"/> when they change.</summary>
internal sealed class FakeTopics : IConsumerGroupTopics
{
    private readonly Dictionary<string, TopicMetadata> _byName = new(StringComparer.Ordinal);

    public long Version { get; private set; }

    public TopicMetadata Add(string name, int partitions)
    {
        var id = new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(name)));
        var t = new TopicMetadata(id, name, partitions);
        _byName[name] = t;
        Version++;
        return t;
    }

    public TopicMetadata? ByName(string name) => _byName.GetValueOrDefault(name);

    public TopicMetadata? ById(Guid id) => _byName.Values.FirstOrDefault(t => t.Id == id);
}

/// <summary>
/// A well-behaved KIP-848 client: it heartbeats with everything it owns, revokes at once what the coordinator left
/// out of its assignment, and starts using the rest. Owned is the client's view, which is what must never overlap.
/// </summary>
internal sealed class SimMember(string group, string[] topics, string? instanceId = null, string? assignor = null)
{
    public string MemberId { get; set; } = string.Empty;

    public int Epoch { get; set; }

    public Assignment Owned { get; set; } = Assignment.Empty;

    public ConsumerGroupHeartbeatResponse? Last { get; private set; }

    public List<CoordinatorRecord> Records { get; } = [];

    /// <summary>When set, every record this member's calls produced, shared across members in the order produced.</summary>
    public List<CoordinatorRecord>? Log { get; init; }

    public ConsumerGroupHeartbeatRequest Request() => new()
    {
        GroupId = group,
        MemberId = MemberId,
        MemberEpoch = Epoch,
        InstanceId = instanceId,
        RebalanceTimeoutMs = 30000,
        SubscribedTopicNames = topics.ToList(),
        ServerAssignor = assignor,
        TopicPartitions = Owned.Partitions.Select(p => new ConsumerGroupHeartbeatRequest.TopicPartitionsData { TopicId = p.Key, Partitions = p.Value.ToList() }).ToList(),
    };

    public ConsumerGroupHeartbeatResponse Heartbeat(ConsumerGroupCoordinator c, long now, IConsumerGroupTopics t, ConsumerGroupHeartbeatRequest? request = null)
    {
        var result = c.Heartbeat(request ?? Request(), "client-" + (instanceId ?? "d"), "/127.0.0.1", now, t);
        Records.AddRange(result.Records);
        Log?.AddRange(result.Records);
        var r = result.Response;
        Last = r;
        if (r.ErrorCode == 0 && r.MemberEpoch >= 0)
        {
            MemberId = r.MemberId ?? MemberId;
            Epoch = r.MemberEpoch;
            if (r.Assignment is { } a)
            {
                Owned = Assignment.From(a.TopicPartitions.Select(tp => (tp.TopicId, (IEnumerable<int>)tp.Partitions)));
            }
        }
        return r;
    }

    public ConsumerGroupHeartbeatResponse Leave(ConsumerGroupCoordinator c, long now, IConsumerGroupTopics t, int epoch = -1)
    {
        var request = Request();
        request.MemberEpoch = epoch;
        var r = c.Heartbeat(request, "client", "/127.0.0.1", now, t);
        Records.AddRange(r.Records);
        Log?.AddRange(r.Records);
        Owned = Assignment.Empty;
        return r.Response;
    }
}
