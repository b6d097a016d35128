using Broker.Actors.Configs;
using Broker.Actors.Kernel;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

/// <summary>
/// The active controller of a one-voter quorum (the cluster singleton of a single node). Commands
/// are serialized through <see cref="ControllerActor"/>: validated against the current image,
/// turned into metadata records, appended (fsynced) to the metadata log, applied, and published.
/// </summary>
public sealed class QuorumController : IMetadataController, IDisposable
{
    private readonly ActorRef _actor;
    private readonly ControllerState _state;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    private QuorumController(ActorRef actor, ControllerState state)
    {
        _actor = actor;
        _state = state;
    }

    public MetadataImage Current => _state.Image;

    public event Action<MetadataImage>? ImagePublished
    {
        add => _state.ImagePublished += value;
        remove => _state.ImagePublished -= value;
    }

    /// <summary>Opens the metadata log, replays it, and starts the controller actor.</summary>
    public static QuorumController Start(ActorSystem system, ControllerSettings settings)
    {
        var state = ControllerState.Load(settings);
        var actor = system.ActorOf(Props.Create(() => new ControllerActor(state)), "controller");
        return new QuorumController(actor, state);
    }

    public Task<IReadOnlyList<TopicResult>> CreateTopicsAsync(IReadOnlyList<NewTopic> topics, bool validateOnly) =>
        _actor.Ask<IReadOnlyList<TopicResult>>(new ControllerActor.CreateTopics(topics, validateOnly), AskTimeout);

    public Task<IReadOnlyList<TopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicRef> topics) =>
        _actor.Ask<IReadOnlyList<TopicResult>>(new ControllerActor.DeleteTopics(topics), AskTimeout);

    public Task<IReadOnlyList<TopicResult>> CreatePartitionsAsync(IReadOnlyList<NewPartitions> requests, bool validateOnly) =>
        _actor.Ask<IReadOnlyList<TopicResult>>(new ControllerActor.CreatePartitions(requests, validateOnly), AskTimeout);

    public Task<IReadOnlyList<ConfigResult>> AlterConfigsAsync(IReadOnlyList<ConfigChange> changes, bool incremental, bool validateOnly) =>
        _actor.Ask<IReadOnlyList<ConfigResult>>(new ControllerActor.AlterConfigs(changes, incremental, validateOnly), AskTimeout);

    public Task<long> AllocateProducerIdAsync() =>
        _actor.Ask<long>(ControllerActor.AllocateProducerId.Instance, AskTimeout);

    /// <summary>Registers (or re-registers) a broker and unfences it.</summary>
    public Task<bool> RegisterBrokerAsync(int nodeId, string host, int port, string? rack) =>
        _actor.Ask<bool>(new ControllerActor.RegisterBroker(nodeId, host, port, rack), AskTimeout);

    public void Dispose() => _state.Log.Dispose();
}

/// <summary>Settings the controller needs from the broker config.</summary>
public sealed record ControllerSettings(
    string MetadataLogDir,
    IReadOnlyList<string> LogDirs,
    int NodeId,
    int DefaultNumPartitions,
    short DefaultReplicationFactor,
    ConfigValues BrokerValues);

/// <summary>The controller's state: shared by the actor (writer) and readers of <see cref="Image"/>.</summary>
internal sealed class ControllerState
{
    private MetadataImage _image = MetadataImage.Empty;

    private ControllerState(ControllerSettings settings, MetadataLog log)
    {
        Settings = settings;
        Log = log;
    }

    public ControllerSettings Settings { get; }
    public MetadataLog Log { get; }
    public MetadataImage Image => Volatile.Read(ref _image);

    public event Action<MetadataImage>? ImagePublished;

    public static ControllerState Load(ControllerSettings settings)
    {
        var clusterId = MetaProperties.EnsureClusterId(settings.MetadataLogDir, settings.LogDirs, settings.NodeId);
        var log = MetadataLog.Open(settings.MetadataLogDir);
        var state = new ControllerState(settings, log);
        var delta = new MetadataDelta(MetadataImage.Empty);
        var last = -1L;
        log.Replay((offset, record) =>
        {
            delta.Replay(record);
            last = offset;
        });
        state._image = delta.Apply(last, clusterId);
        return state;
    }

    /// <summary>Commits records: append to the log, apply, publish.</summary>
    public void Commit(IReadOnlyList<IKafkaMessage> records)
    {
        if (records.Count == 0)
        {
            return;
        }
        var offset = Log.Append(records);
        var delta = new MetadataDelta(Image);
        foreach (var record in records)
        {
            delta.Replay(record);
        }
        var image = delta.Apply(offset);
        Volatile.Write(ref _image, image);
        ImagePublished?.Invoke(image);
    }
}
