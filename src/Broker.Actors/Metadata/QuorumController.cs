using Broker.Actors.Configs;
using Broker.Actors.Kernel;

namespace Broker.Actors.Metadata;

/// <summary>
/// The controller role of a node: the <see cref="ControllerActor"/> that is active while this node leads
/// the metadata quorum, asked through this facade. Reads (<see cref="Current"/>, <see cref="ImagePublished"/>)
/// come from the node's <see cref="MetadataPublisher"/>. Commands fail with <see cref="NotControllerException"/>
/// when this node is not the active controller; brokers route around that (forwarding).
/// </summary>
public sealed class QuorumController : IMetadataController
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private readonly ActorRef _actor;
    private readonly IMetadataQuorum _quorum;
    private readonly MetadataPublisher _publisher;
    private readonly ProducerIdManager _producerIds;

    private QuorumController(ActorRef actor, IMetadataQuorum quorum, MetadataPublisher publisher)
    {
        _actor = actor;
        _quorum = quorum;
        _publisher = publisher;
        _producerIds = new ProducerIdManager(() => AllocateProducerIdsAsync(quorum.NodeId, -1));
    }

    public int NodeId => _quorum.NodeId;

    /// <summary>True while the quorum names this node its leader (commands may still fail while the controller claims the epoch).</summary>
    public bool IsActive => _quorum.Leader.LeaderId == _quorum.NodeId;

    public MetadataImage Current => _publisher.Current;

    public event Action<MetadataImage>? ImagePublished
    {
        add => _publisher.ImagePublished += value;
        remove => _publisher.ImagePublished -= value;
    }

    /// <summary>Starts the controller actor over <paramref name="quorum"/>; it activates whenever this node leads.</summary>
    public static QuorumController Start(ActorSystem system, ControllerSettings settings, IMetadataQuorum quorum, MetadataPublisher publisher)
    {
        var actor = system.ActorOf(Props.Create(() => new ControllerActor(settings, quorum, publisher)), "controller");
        publisher.LeaderChanged += leader => actor.Tell(new ControllerActor.LeaderChanged(leader));
        return new QuorumController(actor, quorum, publisher);
    }

    public Task<IReadOnlyList<TopicResult>> CreateTopicsAsync(IReadOnlyList<NewTopic> topics, bool validateOnly) =>
        Ask<IReadOnlyList<TopicResult>>(new ControllerActor.CreateTopics(topics, validateOnly));

    public Task<IReadOnlyList<TopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicRef> topics) =>
        Ask<IReadOnlyList<TopicResult>>(new ControllerActor.DeleteTopics(topics));

    public Task<IReadOnlyList<TopicResult>> CreatePartitionsAsync(IReadOnlyList<NewPartitions> requests, bool validateOnly) =>
        Ask<IReadOnlyList<TopicResult>>(new ControllerActor.CreatePartitions(requests, validateOnly));

    public Task<IReadOnlyList<ConfigResult>> AlterConfigsAsync(IReadOnlyList<ConfigChange> changes, bool incremental, bool validateOnly) =>
        Ask<IReadOnlyList<ConfigResult>>(new ControllerActor.AlterConfigs(changes, incremental, validateOnly));

    /// <summary>A producer id from this node's current block (a new block is reserved through the log when it runs out).</summary>
    public Task<long> AllocateProducerIdAsync() => _producerIds.NextAsync();

    /// <summary>AllocateProducerIds (67): reserves a block of ids for <paramref name="brokerId"/>.</summary>
    public Task<ProducerIdBlock> AllocateProducerIdsAsync(int brokerId, long brokerEpoch) =>
        Ask<ProducerIdBlock>(new ControllerActor.AllocateProducerIds(brokerId, brokerEpoch));

    /// <summary>BrokerRegistration (62): registers a broker incarnation, fenced; the reply carries its broker epoch.</summary>
    public Task<RegistrationReply> RegisterBrokerAsync(int brokerId, string clusterId, Guid incarnationId,
        IReadOnlyList<BrokerEndpointImage> listeners, string? rack, long previousBrokerEpoch = -1) =>
        Ask<RegistrationReply>(new ControllerActor.RegisterBroker(brokerId, clusterId, incarnationId, listeners, rack, previousBrokerEpoch));

    /// <summary>BrokerHeartbeat (63): keeps the session, unfences once caught up, runs a controlled shutdown.</summary>
    public Task<HeartbeatReply> HeartbeatAsync(int brokerId, long brokerEpoch, long currentMetadataOffset, bool wantFence, bool wantShutDown) =>
        Ask<HeartbeatReply>(new ControllerActor.BrokerHeartbeat(brokerId, brokerEpoch, currentMetadataOffset, wantFence, wantShutDown));

    /// <summary>AlterPartition (56): a partition leader's ISR change, checked against the leader and partition epochs.</summary>
    public Task<Partition.AlterPartitionOutcome> AlterPartitionAsync(Partition.AlterPartitionProposal proposal) =>
        Ask<Partition.AlterPartitionOutcome>(new ControllerActor.AlterPartition(proposal));

    /// <summary>Moves a partition's leadership to <paramref name="newLeader"/> (an ISR member unless <paramref name="unclean"/>): a new leader epoch.</summary>
    public Task<Partition.AlterPartitionOutcome> ElectLeaderAsync(string topic, int partition, int newLeader, bool unclean = false) =>
        Ask<Partition.AlterPartitionOutcome>(new ControllerActor.ElectLeader(topic, partition, newLeader, unclean));

    /// <summary>The connection that carried <paramref name="brokerId"/>'s heartbeats or registration closed: a hint
    /// that its process may be gone, checked before anything is fenced.</summary>
    public void BrokerDisconnected(int brokerId) => _actor.Tell(new ControllerActor.BrokerDisconnected(brokerId));

    public Task<IReadOnlyList<TopicPartitionResults>> ElectLeadersAsync(ElectionType type, IReadOnlyList<TopicPartitions>? partitions) =>
        Ask<IReadOnlyList<TopicPartitionResults>>(new ControllerActor.ElectLeaders(type, partitions));

    public Task<IReadOnlyList<TopicPartitionResults>> AlterPartitionReassignmentsAsync(IReadOnlyList<TopicReassignment> topics) =>
        Ask<IReadOnlyList<TopicPartitionResults>>(new ControllerActor.AlterPartitionReassignments(topics));

    public Task<IReadOnlyList<OngoingReassignment>> ListPartitionReassignmentsAsync(IReadOnlyList<TopicPartitions>? partitions) =>
        Ask<IReadOnlyList<OngoingReassignment>>(new ControllerActor.ListPartitionReassignments(partitions));

    public Task<MembershipReply> LeaveBrokerAsync(int brokerId, long brokerEpoch) =>
        Ask<MembershipReply>(new ControllerActor.LeaveBroker(brokerId, brokerEpoch));

    public Task<MembershipReply> DownBrokerAsync(int brokerId) =>
        Ask<MembershipReply>(new ControllerActor.DownBroker(brokerId));

    internal Task<T> Ask<T>(object command) => _actor.Ask<T>(command, AskTimeout);
}

/// <summary>Settings the controller needs from the broker config.</summary>
public sealed record ControllerSettings(
    string MetadataLogDir,
    IReadOnlyList<string> LogDirs,
    int NodeId,
    int DefaultNumPartitions,
    short DefaultReplicationFactor,
    ConfigValues BrokerValues)
{
    /// <summary>broker.session.timeout.ms: a broker without a heartbeat for this long is fenced.</summary>
    public long SessionTimeoutMs { get; init; } = 9000;

    /// <summary>controller.broker.liveness.probe.interval.ms: how often a suspected broker is probed (0: never, fencing by session only).</summary>
    public long LivenessProbeIntervalMs { get; init; }

    /// <summary>Tells a crashed broker from a live one (null: fencing by session only).</summary>
    public IBrokerLivenessProbe? LivenessProbe { get; init; }
}
