using Broker.Actors.Configs;
using Broker.Actors.Kernel;
using Broker.Actors.Metadata;
using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Broker.Host.Configuration;
using Broker.Host.Handlers;
using Broker.Host.Management;
using Broker.Host.Network;
using Microsoft.Extensions.Logging;

namespace Broker.Host;

/// <summary>
/// The composition root of one broker process: storage, the actor system, the controller, the
/// local replicas (shard region) and the Kafka listener, started in that order and stopped in
/// reverse. Tests start it in-process; the executable runs it until SIGTERM.
/// </summary>
public sealed partial class BrokerNode : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private BrokerServer? _server;
    private ManagementServer? _management;

    private BrokerNode(BrokerSettings settings, ILoggerFactory loggerFactory)
    {
        Settings = settings;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("akkabroker");
    }

    public BrokerSettings Settings { get; }
    public ActorSystem System { get; private set; } = null!;
    public LogManager Logs { get; private set; } = null!;
    public IMetadataController Controller { get; private set; } = null!;
    public ReplicaManager Replicas { get; private set; } = null!;
    internal FetchPurgatory FetchPurgatory { get; } = new();

    /// <summary>The metadata image source handlers read (the controller's latest image).</summary>
    public IMetadataController Metadata => Controller;

    /// <summary>The bound listener port (useful with port 0 in tests).</summary>
    public int Port => _server?.Port ?? -1;

    /// <summary>The bound management HTTP port, or -1 when management.http.listener is unset.</summary>
    public int ManagementPort => _management?.Port ?? -1;

    public static async Task<BrokerNode> StartAsync(BrokerSettings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        var node = new BrokerNode(settings, loggerFactory);
        try
        {
            await node.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        System = ActorSystem.Create("broker", _loggerFactory);
        Logs = LogManager.Startup(new LogManagerConfig
        {
            LogDirs = Settings.LogDirs,
            DefaultLogConfig = LogConfigFor(null),
            RetentionCheckIntervalMs = Settings.Values.GetLong(BrokerConfigs.LogRetentionCheckIntervalMs),
        }, tp => LogConfigFor(Controller?.Current.Topic(tp.Topic)));
        Controller = await StartControllerAsync(cancellationToken).ConfigureAwait(false);
        Replicas = new ReplicaManager(System, Logs, Settings.NodeId, LogConfigFor, _loggerFactory.CreateLogger<ReplicaManager>(), CreateReplicaContext());
        Replicas.DataAppended += FetchPurgatory.OnDataAppended;
        StartReplication();
        Controller.ImagePublished += Replicas.Apply;
        Replicas.Apply(Controller.Current);
        Logs.StartTimers();
        if (Settings.ManagementHttpListener is { } management)
        {
            _management = await ManagementServer.StartAsync(this, management, _loggerFactory, cancellationToken).ConfigureAwait(false);
        }

        var listener = PrimaryListener();
        var dispatcher = new RequestDispatcher(this, _loggerFactory.CreateLogger<RequestDispatcher>());
        _server = await BrokerServer.StartAsync(new NetworkSettings
        {
            Host = listener.Host,
            Port = listener.Port,
            SocketRequestMaxBytes = Settings.SocketRequestMaxBytes,
            QueuedMaxRequests = Settings.QueuedMaxRequests,
            NumIoThreads = Settings.NumIoThreads,
        }, dispatcher,
        SupportedApis.Build(),
        configureLogging: b => b.AddProvider(new ForwardingLoggerProvider(_loggerFactory)),
        cancellationToken: cancellationToken).ConfigureAwait(false);
        await StartOtherListenersAsync(dispatcher, listener, cancellationToken).ConfigureAwait(false);
        await RegisterOnStartAsync(_server.Port).ConfigureAwait(false);
        // Stray logs are judged only against a caught-up image: an early one may not know a topic yet.
        _ = InitialCatchUp.ContinueWith(_ => Replicas.DeleteStrayLogs(), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        _logger.LogInformation("akkabroker node {NodeId} serving Kafka on {Host}:{Port} ({Partitions} partitions, started in {Ms} ms)",
            Settings.NodeId, listener.Host, _server.Port, Replicas.Count, (int)TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Effective log config of a topic: its overrides, then the broker's synonyms, then defaults.</summary>
    internal LogConfig LogConfigFor(TopicImage? topic) =>
        TopicConfigs.CreateLogConfig(
            topic is null ? new Dictionary<string, string?>() : topic.Configs.ToDictionary(kv => kv.Key, kv => (string?)kv.Value),
            Controller is null ? Settings.Values : BrokerValues(Controller.Current));

    public async ValueTask DisposeAsync()
    {
        // The replicas keep following the image through the controlled shutdown: the batch that moves this node's
        // leaderships away makes its partitions followers, so producers get NOT_LEADER_OR_FOLLOWER and go to the new
        // leaders while this listener still answers (not a closed connection with requests in flight).
        await LeaveClusterAsync().ConfigureAwait(false);
        if (Controller is not null && Replicas is not null)
        {
            Controller.ImagePublished -= Replicas.Apply;
        }
        if (_management is not null)
        {
            await _management.DisposeAsync().ConfigureAwait(false);
            _management = null;
        }
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
            _server = null;
        }
        await StopOtherListenersAsync().ConfigureAwait(false);
        await StopReplicationAsync().ConfigureAwait(false);
        if (System is not null)
        {
            await System.Terminate().ConfigureAwait(false);
        }
        await StopQuorumAsync().ConfigureAwait(false);
        await DisposeRaftTransportAsync().ConfigureAwait(false);
        Logs?.Shutdown();
        FetchPurgatory.Dispose();
        _logger.LogInformation("akkabroker node {NodeId} stopped", Settings.NodeId);
    }
}
