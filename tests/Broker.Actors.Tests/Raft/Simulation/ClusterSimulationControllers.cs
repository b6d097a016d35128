using System.Collections.Immutable;
using Broker.Actors.Configs;
using Broker.Actors.Metadata;
using Broker.Actors.Partition;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Raft.Simulation;

/// <summary>
/// The controller layer of a <see cref="ClusterSimulation"/>: a <see cref="SimController"/> per node and
/// simulated brokers that register (new incarnations after crashes), heartbeat (with a metadata offset that
/// may lag), die without a word, shut down in a controlled way, and ask for topics, ISR changes
/// (AlterPartition from the partition leader, with the epochs it saw, so some are stale) and producer id
/// blocks. Requests go to a node whose core leads (perhaps a stale leader, as a client would find it).
/// All randomness comes from one seeded <see cref="System.Random"/>, so a seed replays exactly.
/// </summary>
internal sealed class ClusterSimulationControllers
{
    public const string ClusterId = "sim";

    private readonly SimController[] _controllers;
    private readonly SimBroker[] _brokers;
    private readonly Func<long> _nextProposalId;
    private readonly ControllerSettings[] _settings;
    private readonly Dictionary<string, string?> _uncleanTopic = new() { [TopicConfigs.UncleanLeaderElectionEnable] = "true" };
    private int _topics;

    private sealed class SimBroker(int id)
    {
        public int Id { get; } = id;
        public bool Alive { get; set; } = true;
        public Guid Incarnation { get; set; }
        public long Epoch { get; set; } = -1;
    }

    public ClusterSimulationControllers(int seed, int nodeCount, Func<long> nextProposalId)
    {
        Random = new Random(seed ^ 0xC0DE);
        _nextProposalId = nextProposalId;
        SessionTimeoutMs = 300 + Random.Next(900);
        SessionCheckPeriodMs = Math.Max(10, Math.Min(SessionTimeoutMs / 4, 1000));
        _controllers = new SimController[nodeCount + 1];
        _settings = new ControllerSettings[nodeCount + 1];
        for (var id = 1; id <= nodeCount; id++)
        {
            _controllers[id] = new SimController(id, this);
            _settings[id] = new ControllerSettings("", [], id, 1, 1, BrokerValues) { SessionTimeoutMs = SessionTimeoutMs };
        }
        // Broker ids overlap the controller ids, as in a combined-mode cluster.
        _brokers = Enumerable.Range(1, 3 + Random.Next(3)).Select(id => new SimBroker(id) { Incarnation = NewTopicId() }).ToArray();
    }

    public Random Random { get; }

    public ControllerInvariants Invariants { get; } = new();

    public long SessionTimeoutMs { get; }

    public long SessionCheckPeriodMs { get; }

    public ConfigValues BrokerValues => SimBrokerConfig.Defaults;

    public SimController this[int nodeId] => _controllers[nodeId];

    public ControllerSettings Settings(int nodeId) => _settings[nodeId];

    public long NextProposalId() => _nextProposalId();

    public Guid NewTopicId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.NextBytes(bytes);
        return new Guid(bytes);
    }

    /// <summary>One broker does something. Returns the node that got a request (to be stepped), or 0.</summary>
    public int BrokerEvent(IReadOnlyList<int> leaders)
    {
        var broker = _brokers[Random.Next(_brokers.Length)];
        if (!broker.Alive)
        {
            if (Random.Next(6) == 0)
            {
                broker.Alive = true;
                broker.Incarnation = NewTopicId();
                broker.Epoch = -1;
            }
            return 0;
        }
        if (Random.Next(80) == 0)
        {
            broker.Alive = false; // a crash: no more heartbeats, the session runs out
            return 0;
        }
        if (leaders.Count == 0)
        {
            return 0;
        }
        var node = leaders[Random.Next(leaders.Count)];
        var controller = _controllers[node];
        var incarnation = broker.Incarnation;
        if (broker.Epoch < 0)
        {
            controller.Submit(
                new ControllerActor.RegisterBroker(broker.Id, ClusterId, incarnation,
                    [new BrokerEndpointImage("PLAINTEXT", $"broker{broker.Id}", 9092, 0)], broker.Id % 2 == 0 ? "rack-a" : "rack-b", -1),
                reply =>
                {
                    if (broker.Incarnation == incarnation && reply is RegistrationReply { Error: ErrorCode.None } r)
                    {
                        broker.Epoch = r.BrokerEpoch;
                    }
                });
        }
        else
        {
            var lag = Random.Next(4) == 0 ? Random.Next(1, 6) : 0;
            var shutDown = Random.Next(200) == 0;
            controller.Submit(
                new ControllerActor.BrokerHeartbeat(broker.Id, broker.Epoch, controller.Image.Offset - lag, WantFence: false, shutDown),
                reply =>
                {
                    if (broker.Incarnation != incarnation || reply is not HeartbeatReply h)
                    {
                        return;
                    }
                    if (h.Error != ErrorCode.None)
                    {
                        broker.Epoch = -1; // STALE_BROKER_EPOCH / not registered: register again
                    }
                    else if (h.ShouldShutDown)
                    {
                        broker.Alive = false;
                    }
                });
        }
        var roll = Random.Next(100);
        if (roll < 5)
        {
            // A small set of names, so some requests find the topic already there.
            var name = $"t{_topics++ % 10}";
            var configs = Random.Next(4) == 0 ? _uncleanTopic : new Dictionary<string, string?>();
            controller.Submit(new ControllerActor.CreateTopics([new NewTopic(name, 1 + Random.Next(3), (short)(1 + Random.Next(3)), configs)], false), null);
        }
        else if (roll < 20)
        {
            AlterPartition(controller);
        }
        else if (roll < 23 && broker.Epoch >= 0)
        {
            controller.Submit(new ControllerActor.AllocateProducerIds(broker.Id, broker.Epoch), _ => { });
        }
        return node;
    }

    /// <summary>A partition leader (as this controller's image shows it) shrinks or expands its ISR.</summary>
    private void AlterPartition(SimController controller)
    {
        var topics = controller.Image.TopicsById.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        if (topics.Count == 0)
        {
            return;
        }
        var topic = topics[Random.Next(topics.Count)];
        var p = topic.Partitions[Random.Next(topic.Partitions.Length)];
        if (p.Leader < 0)
        {
            return;
        }
        ImmutableArray<int> isr;
        var outside = p.Replicas.Where(r => !p.Isr.Contains(r)).ToList();
        if (outside.Count > 0 && (p.Isr.Length == 1 || Random.Next(2) == 0))
        {
            isr = p.Isr.Add(outside[Random.Next(outside.Count)]);
        }
        else
        {
            var followers = p.Isr.Where(r => r != p.Leader).ToList();
            if (followers.Count == 0)
            {
                return;
            }
            isr = p.Isr.Remove(followers[Random.Next(followers.Count)]);
        }
        controller.Submit(new ControllerActor.AlterPartition(
            new AlterPartitionProposal(p.Leader, topic.Id, topic.Name, p.Partition, p.LeaderEpoch, p.PartitionEpoch, isr)), null);
    }
}
