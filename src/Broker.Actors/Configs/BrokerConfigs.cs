using static Broker.Actors.Configs.ConfigImportance;

namespace Broker.Actors.Configs;

/// <summary>
/// The broker's static config keys (Kafka's <c>KafkaConfig</c> / <c>server.properties</c> names and
/// defaults), plus two of ours under <c>management.http.*</c>. Durations are <see cref="ConfigType.Duration"/>
/// (ms) and sizes <see cref="ConfigType.Size"/> (bytes), so HOCON may say <c>7d</c> or <c>100MiB</c>.
/// Flushing follows Kafka: <c>log.flush.interval.messages = 1</c> means fsync after every append.
/// </summary>
public static partial class BrokerConfigs
{
    // Server roles and identity (KRaft).
    public const string NodeId = "node.id";
    public const string ProcessRoles = "process.roles";
    public const string BrokerRack = "broker.rack";
    public const string ControllerQuorumVoters = "controller.quorum.voters";
    public const string ControllerListenerNames = "controller.listener.names";
    public const string ControllerQuorumElectionTimeoutMs = "controller.quorum.election.timeout.ms";
    public const string ControllerQuorumFetchTimeoutMs = "controller.quorum.fetch.timeout.ms";
    public const string ControllerQuorumRequestTimeoutMs = "controller.quorum.request.timeout.ms";
    public const string ControllerQuorumAppendLingerMs = "controller.quorum.append.linger.ms";
    public const string MetadataLogMaxRecordBytesBetweenSnapshots = "metadata.log.max.record.bytes.between.snapshots";
    public const string BrokerSessionTimeoutMs = "broker.session.timeout.ms";
    public const string BrokerHeartbeatIntervalMs = "broker.heartbeat.interval.ms";
    public const string ControllerBrokerLivenessProbeIntervalMs = "controller.broker.liveness.probe.interval.ms";
    public const string MetadataLogDir = "metadata.log.dir";

    // Network.
    public const string Listeners = "listeners";
    public const string AdvertisedListeners = "advertised.listeners";
    public const string ListenerSecurityProtocolMap = "listener.security.protocol.map";
    public const string InterBrokerListenerName = "inter.broker.listener.name";
    public const string NumNetworkThreads = "num.network.threads";
    public const string NumIoThreads = "num.io.threads";
    public const string QueuedMaxRequests = "queued.max.requests";
    public const string SocketRequestMaxBytes = "socket.request.max.bytes";
    public const string SocketSendBufferBytes = "socket.send.buffer.bytes";
    public const string SocketReceiveBufferBytes = "socket.receive.buffer.bytes";
    public const string ConnectionsMaxIdleMs = "connections.max.idle.ms";

    // Topics and the log.
    public const string LogDirs = "log.dirs";
    public const string AutoCreateTopicsEnable = "auto.create.topics.enable";
    public const string DeleteTopicEnable = "delete.topic.enable";
    public const string NumPartitions = "num.partitions";
    public const string DefaultReplicationFactor = "default.replication.factor";
    public const string MinInSyncReplicas = "min.insync.replicas";
    public const string MessageMaxBytes = "message.max.bytes";
    public const string LogSegmentBytes = "log.segment.bytes";
    public const string LogRollMs = "log.roll.ms";
    public const string LogRollHours = "log.roll.hours";
    public const string LogRetentionMs = "log.retention.ms";
    public const string LogRetentionMinutes = "log.retention.minutes";
    public const string LogRetentionHours = "log.retention.hours";
    public const string LogRetentionBytes = "log.retention.bytes";
    public const string LogRetentionCheckIntervalMs = "log.retention.check.interval.ms";
    public const string LogFlushIntervalMessages = "log.flush.interval.messages";
    public const string LogFlushIntervalMs = "log.flush.interval.ms";
    public const string LogIndexIntervalBytes = "log.index.interval.bytes";
    public const string LogIndexSizeMaxBytes = "log.index.size.max.bytes";
    public const string LogSegmentDeleteDelayMs = "log.segment.delete.delay.ms";
    public const string LogPreallocate = "log.preallocate";
    public const string LogMessageTimestampType = "log.message.timestamp.type";
    public const string LogMessageTimestampDifferenceMaxMs = "log.message.timestamp.difference.max.ms";
    public const string LogCleanupPolicy = "log.cleanup.policy";
    public const string LogCleanerDeleteRetentionMs = "log.cleaner.delete.retention.ms";
    public const string LogCleanerMinCompactionLagMs = "log.cleaner.min.compaction.lag.ms";
    public const string LogCleanerMaxCompactionLagMs = "log.cleaner.max.compaction.lag.ms";
    public const string LogCleanerMinCleanableRatio = "log.cleaner.min.cleanable.ratio";
    public const string CompressionType = "compression.type";

    // Replication.
    public const string ReplicaLagTimeMaxMs = "replica.lag.time.max.ms";
    public const string ReplicaFetchMaxBytes = "replica.fetch.max.bytes";
    public const string ReplicaFetchWaitMaxMs = "replica.fetch.wait.max.ms";
    public const string NumReplicaFetchers = "num.replica.fetchers";
    public const string UncleanLeaderElectionEnable = "unclean.leader.election.enable";

    // Group coordinator.
    public const string OffsetsTopicNumPartitions = "offsets.topic.num.partitions";
    public const string OffsetsTopicReplicationFactor = "offsets.topic.replication.factor";
    public const string OffsetsRetentionMinutes = "offsets.retention.minutes";
    public const string OffsetsRetentionCheckIntervalMs = "offsets.retention.check.interval.ms";
    public const string OffsetsCommitTimeoutMs = "offsets.commit.timeout.ms";
    public const string GroupInitialRebalanceDelayMs = "group.initial.rebalance.delay.ms";
    public const string GroupMinSessionTimeoutMs = "group.min.session.timeout.ms";
    public const string GroupMaxSessionTimeoutMs = "group.max.session.timeout.ms";
    public const string GroupMaxSize = "group.max.size";
    public const string GroupConsumerHeartbeatIntervalMs = "group.consumer.heartbeat.interval.ms";
    public const string GroupConsumerSessionTimeoutMs = "group.consumer.session.timeout.ms";
    public const string GroupConsumerMaxSize = "group.consumer.max.size";
    public const string GroupConsumerAssignors = "group.consumer.assignors";

    // Transactions and idempotence.
    public const string TransactionStateLogNumPartitions = "transaction.state.log.num.partitions";
    public const string TransactionStateLogReplicationFactor = "transaction.state.log.replication.factor";
    public const string TransactionStateLogMinIsr = "transaction.state.log.min.isr";
    public const string TransactionMaxTimeoutMs = "transaction.max.timeout.ms";
    public const string TransactionalIdExpirationMs = "transactional.id.expiration.ms";
    public const string ProducerIdExpirationMs = "producer.id.expiration.ms";

    // Ours: the HTTP management endpoint (Akka.Management's role).
    public const string ManagementHttpListener = "management.http.listener";
    public const string ManagementHttpAllowStateChanges = "management.http.allow-state-changes";

    private const decimal IntMax = int.MaxValue;
    private const decimal LongMax = long.MaxValue;

    public static readonly string[] CompressionTypes = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
    public static readonly string[] TimestampTypes = ["CreateTime", "LogAppendTime"];
    public static readonly string[] CleanupPolicies = ["delete", "compact"];

    /// <summary>Server-side assignors of consumer-protocol groups, by short name or Kafka's class name.</summary>
    public static readonly string[] ConsumerAssignorNames =
    [
        "uniform", "range",
        "org.apache.kafka.coordinator.group.assignor.UniformAssignor", "org.apache.kafka.coordinator.group.assignor.RangeAssignor",
    ];

    /// <summary>The broker's config definition.</summary>
    public static ConfigDef Definition { get; } = Build();

    private static ConfigDef Build()
    {
        var def = new ConfigDef();
        var atLeast0 = ConfigValidator.AtLeast(0);
        var atLeast1 = ConfigValidator.AtLeast(1);
        var int0 = ConfigValidator.Between(0, IntMax);
        var int1 = ConfigValidator.Between(1, IntMax);
        var shortReplication = ConfigValidator.Between(1, short.MaxValue);

        def.DefineRequired(NodeId, ConfigType.Int, atLeast0, High, "The node id of this server, unique in the cluster (broker and controller share it).")
           .DefineRequired(ProcessRoles, ConfigType.List, ConfigValidator.ListOf(false, "broker", "controller"), High, "The roles this server plays: broker, controller, or both (combined mode).")
           .Define(BrokerRack, ConfigType.String, null, null, Medium, "Rack of this broker, used for rack-aware replica assignment.")
           .Define(ControllerQuorumVoters, ConfigType.List, "", QuorumVoter.Validator, High, "The controller quorum as id@host:port entries.")
           .Define(ControllerListenerNames, ConfigType.List, null, null, High, "Listener names used by the controller quorum.")
           .Define(ControllerQuorumElectionTimeoutMs, ConfigType.Duration, "1000", int0, High, "Time without a leader before a controller starts an election.")
           .Define(ControllerQuorumFetchTimeoutMs, ConfigType.Duration, "2000", int0, High, "Time without a successful fetch from the leader before a voter becomes a candidate.")
           .Define(ControllerQuorumRequestTimeoutMs, ConfigType.Duration, "2000", int1, Medium, "How long a quorum member waits for an answer before it sends a Raft request again.")
           .Define(ControllerQuorumAppendLingerMs, ConfigType.Duration, "25", int0, Medium, "How long the quorum leader lets appends gather before it flushes them to disk (and counts them towards the high watermark).")
           .Define(MetadataLogMaxRecordBytesBetweenSnapshots, ConfigType.Size, "20971520", atLeast1, Medium, "Committed metadata bytes after which a node writes a metadata snapshot and deletes the log behind it.")
           .Define(BrokerSessionTimeoutMs, ConfigType.Duration, "9000", int1, Medium, "A broker whose heartbeats stop for this long is fenced by the controller.")
           .Define(BrokerHeartbeatIntervalMs, ConfigType.Duration, "2000", int1, Medium, "How often a broker heartbeats to the active controller.")
           .Define(ControllerBrokerLivenessProbeIntervalMs, ConfigType.Duration, "500", int0, Medium, "How often the active controller checks a broker whose connection to it closed since its last heartbeat (or that has not heartbeated to it since it became active) by connecting to its listeners; a broker whose every listener refuses is fenced at once, without waiting for broker.session.timeout.ms. A paused or unreachable broker still waits out its session. 0 turns the check off.")
           .Define(MetadataLogDir, ConfigType.String, null, null, High, "Directory of the cluster metadata log; defaults to the first of log.dirs.")

           .Define(Listeners, ConfigType.List, "PLAINTEXT://:9092", ListenerEndpoint.Validator, High, "Addresses to listen on as NAME://host:port; an empty host binds all interfaces.")
           .Define(AdvertisedListeners, ConfigType.List, null, ListenerEndpoint.Validator, High, "Addresses published to clients; defaults to listeners.")
           .Define(ListenerSecurityProtocolMap, ConfigType.List, "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL", null, Low, "Listener name to security protocol.")
           .Define(InterBrokerListenerName, ConfigType.String, null, null, Medium, "Listener brokers use between themselves; defaults to the first listener.")
           .Define(NumNetworkThreads, ConfigType.Int, "3", atLeast1, High, "Threads receiving requests from and sending responses to the network.")
           .Define(NumIoThreads, ConfigType.Int, "8", atLeast1, High, "Threads processing requests, including disk I/O.")
           .Define(QueuedMaxRequests, ConfigType.Int, "500", atLeast1, High, "Requests queued for the I/O threads before the network threads stop reading.")
           .Define(SocketRequestMaxBytes, ConfigType.Size, "104857600", int1, High, "Largest request the broker accepts (bytes).")
           .Define(SocketSendBufferBytes, ConfigType.Size, "102400", ConfigValidator.Between(-1, IntMax), High, "SO_SNDBUF of the server sockets; -1 uses the OS default.")
           .Define(SocketReceiveBufferBytes, ConfigType.Size, "102400", ConfigValidator.Between(-1, IntMax), High, "SO_RCVBUF of the server sockets; -1 uses the OS default.")
           .Define(ConnectionsMaxIdleMs, ConfigType.Duration, "600000", atLeast0, Medium, "Idle connections are closed after this long.")

           .Define(LogDirs, ConfigType.List, "/tmp/kafka-logs", ConfigValidator.NonEmptyList(), High, "Directories holding the partition logs (relative paths are relative to the working directory).")
           .Define(AutoCreateTopicsEnable, ConfigType.Boolean, "true", null, High, "Create a topic when a client asks for metadata of one that does not exist.")
           .Define(DeleteTopicEnable, ConfigType.Boolean, "true", null, High, "Allow DeleteTopics.")
           .Define(NumPartitions, ConfigType.Int, "1", atLeast1, Medium, "Default partition count of auto-created topics.")
           .Define(DefaultReplicationFactor, ConfigType.Int, "1", shortReplication, Medium, "Default replication factor of auto-created topics.")
           .Define(MinInSyncReplicas, ConfigType.Int, "1", atLeast1, High, "Replicas that must acknowledge a write with acks=all.")
           .Define(MessageMaxBytes, ConfigType.Size, "1048588", int0, High, "Largest record batch size the broker accepts (bytes).")
           .Define(LogSegmentBytes, ConfigType.Size, "1073741824", ConfigValidator.Between(14, IntMax), High, "Size at which a log segment is rolled (bytes).")
           .Define(LogRollMs, ConfigType.Duration, null, ConfigValidator.AtLeast(1), High, "Age at which a log segment is rolled; overrides log.roll.hours.")
           .Define(LogRollHours, ConfigType.Int, "168", atLeast1, High, "Age at which a log segment is rolled, in hours.")
           .Define(LogRetentionMs, ConfigType.Duration, null, ConfigValidator.AtLeast(-1), High, "Time to keep a log segment (-1: forever); overrides log.retention.minutes and .hours.")
           .Define(LogRetentionMinutes, ConfigType.Int, null, ConfigValidator.AtLeast(-1), High, "Time to keep a log segment, in minutes; overrides log.retention.hours.")
           .Define(LogRetentionHours, ConfigType.Int, "168", ConfigValidator.AtLeast(-1), High, "Time to keep a log segment, in hours.")
           .Define(LogRetentionBytes, ConfigType.Size, "-1", ConfigValidator.AtLeast(-1), High, "Size a partition log may reach before old segments are deleted (-1: no limit).")
           .Define(LogRetentionCheckIntervalMs, ConfigType.Duration, "300000", atLeast1, Medium, "How often retention is checked.")
           .Define(LogFlushIntervalMessages, ConfigType.Long, long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), atLeast1, High, "Messages appended before the log is fsynced (1: fsync every append).")
           .Define(LogFlushIntervalMs, ConfigType.Duration, null, atLeast0, High, "Time a message may stay unflushed before the log is fsynced.")
           .Define(LogIndexIntervalBytes, ConfigType.Size, "4096", int0, Medium, "Bytes between offset index entries.")
           .Define(LogIndexSizeMaxBytes, ConfigType.Size, "10485760", ConfigValidator.Between(4, IntMax), Medium, "Maximum size of an offset or time index file (bytes).")
           .Define(LogSegmentDeleteDelayMs, ConfigType.Duration, "60000", atLeast0, High, "Delay before a deleted segment's files are removed.")
           .Define(LogPreallocate, ConfigType.Boolean, "false", null, Medium, "Preallocate a segment file when it is created.")
           .Define(LogMessageTimestampType, ConfigType.String, "CreateTime", ConfigValidator.In(TimestampTypes), Medium, "CreateTime or LogAppendTime.")
           .Define(LogMessageTimestampDifferenceMaxMs, ConfigType.Duration, long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), atLeast0, Medium, "Largest allowed difference between a CreateTime timestamp and the broker's clock.")
           .Define(LogCleanupPolicy, ConfigType.List, "delete", ConfigValidator.ListOf(false, CleanupPolicies), Medium, "delete, compact, or both.")
           .Define(LogCleanerDeleteRetentionMs, ConfigType.Duration, "86400000", atLeast0, Medium, "How long tombstones are kept in compacted topics.")
           .Define(LogCleanerMinCompactionLagMs, ConfigType.Duration, "0", atLeast0, Medium, "Minimum age of a record before it may be compacted.")
           .Define(LogCleanerMaxCompactionLagMs, ConfigType.Duration, long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), atLeast1, Medium, "Maximum time a record stays ineligible for compaction.")
           .Define(LogCleanerMinCleanableRatio, ConfigType.Double, "0.5", ConfigValidator.Between(0, 1), Medium, "Minimum dirty ratio of a log before it is compacted.")
           .Define(CompressionType, ConfigType.String, "producer", ConfigValidator.In(CompressionTypes), High, "Compression of stored batches; producer keeps the producer's codec.")

           .Define(ReplicaLagTimeMaxMs, ConfigType.Duration, "30000", atLeast0, High, "A follower that has not caught up for this long leaves the ISR.")
           .Define(ReplicaFetchMaxBytes, ConfigType.Size, "1048576", int0, Medium, "Bytes a follower fetches per partition.")
           .Define(ReplicaFetchWaitMaxMs, ConfigType.Duration, "500", int0, Medium, "Maximum wait of a follower fetch.")
           .Define(NumReplicaFetchers, ConfigType.Int, "1", atLeast1, High, "Fetcher threads per source broker.")
           .Define(UncleanLeaderElectionEnable, ConfigType.Boolean, "false", null, High, "Allow an out-of-sync replica to become leader (data loss).")

           .Define(OffsetsTopicNumPartitions, ConfigType.Int, "50", atLeast1, High, "Partitions of __consumer_offsets.")
           .Define(OffsetsTopicReplicationFactor, ConfigType.Int, "3", shortReplication, High, "Replication factor of __consumer_offsets.")
           .Define(OffsetsRetentionMinutes, ConfigType.Int, "10080", atLeast1, High, "How long committed offsets of an empty group are kept, counted from when it became empty (or from the commit for a group that never had members).")
           .Define(OffsetsRetentionCheckIntervalMs, ConfigType.Duration, "600000", atLeast1, High, "How often each group coordinator shard looks for expired offsets and empty groups to remove.")
           .Define(OffsetsCommitTimeoutMs, ConfigType.Duration, "5000", atLeast1, High, "How long a group coordinator's write to __consumer_offsets waits for every in-sync replica (acks=all) before the client gets COORDINATOR_NOT_AVAILABLE.")
           .Define(GroupInitialRebalanceDelayMs, ConfigType.Duration, "3000", int0, Medium, "Wait for more members before the first rebalance of a new group.")
           .Define(GroupMinSessionTimeoutMs, ConfigType.Duration, "6000", int0, Medium, "Smallest session timeout a member may ask for.")
           .Define(GroupMaxSessionTimeoutMs, ConfigType.Duration, "1800000", int0, Medium, "Largest session timeout a member may ask for.")
           .Define(GroupMaxSize, ConfigType.Int, int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), atLeast1, Medium, "Maximum members of a consumer group.")
           .Define(GroupConsumerHeartbeatIntervalMs, ConfigType.Duration, "5000", int1, Medium, "Heartbeat interval given to members of consumer-protocol (KIP-848) groups.")
           .Define(GroupConsumerSessionTimeoutMs, ConfigType.Duration, "45000", int1, Medium, "A consumer-protocol member that does not heartbeat for this long is fenced.")
           .Define(GroupConsumerMaxSize, ConfigType.Int, int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), atLeast1, Medium, "Maximum members of a consumer-protocol group.")
           .Define(GroupConsumerAssignors, ConfigType.List, "uniform,range", ConfigValidator.ListOf(false, ConsumerAssignorNames), Medium, "Server-side assignors of consumer-protocol groups; the first is the default.")

           .Define(TransactionStateLogNumPartitions, ConfigType.Int, "50", atLeast1, High, "Partitions of __transaction_state.")
           .Define(TransactionStateLogReplicationFactor, ConfigType.Int, "3", shortReplication, High, "Replication factor of __transaction_state.")
           .Define(TransactionStateLogMinIsr, ConfigType.Int, "2", atLeast1, High, "min.insync.replicas of __transaction_state.")
           .Define(TransactionMaxTimeoutMs, ConfigType.Duration, "900000", int1, High, "Largest transaction timeout a producer may ask for.")
           .Define(TransactionalIdExpirationMs, ConfigType.Duration, "604800000", int1, High, "Idle transactional ids expire after this long.")
           .Define(ProducerIdExpirationMs, ConfigType.Duration, "86400000", int1, Low, "Idle producer ids expire after this long.")

           .Define(ManagementHttpListener, ConfigType.String, null, ConfigValidator.Of(ValidateHostPort, "host:port"), Medium, "host:port of the HTTP management endpoint (GET /cluster/members, ...); unset or empty: off.")
           .Define(ManagementHttpAllowStateChanges, ConfigType.Boolean, "false", null, Medium, "Allow management calls that change the cluster (leave, down, partition reassignment, leader election).");
        return def;
    }

    private static string? ValidateHostPort(object value)
    {
        var s = (string)value;
        return s.Length == 0 || ListenerEndpoint.TryParseHostPort(s, out _, out _)
            ? null
            : $"'{s}' is not of the form host:port";
    }
}
