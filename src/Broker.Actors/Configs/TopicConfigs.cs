using System.Globalization;
using static Broker.Actors.Configs.ConfigImportance;

namespace Broker.Actors.Configs;

/// <summary>
/// Per-topic config keys (Kafka's <c>TopicConfig</c> / <c>LogConfig</c>), each backed by broker
/// synonyms: a topic without an override of <c>retention.ms</c> uses <c>log.retention.ms</c>, then
/// <c>log.retention.minutes</c>, then <c>log.retention.hours</c>, exactly as DescribeConfigs reports.
/// </summary>
public static partial class TopicConfigs
{
    public const string CleanupPolicy = "cleanup.policy";
    public const string CompressionType = "compression.type";
    public const string DeleteRetentionMs = "delete.retention.ms";
    public const string FileDeleteDelayMs = "file.delete.delay.ms";
    public const string FlushMessages = "flush.messages";
    public const string FlushMs = "flush.ms";
    public const string IndexIntervalBytes = "index.interval.bytes";
    public const string MaxMessageBytes = "max.message.bytes";
    public const string MessageTimestampType = "message.timestamp.type";
    public const string MessageTimestampDifferenceMaxMs = "message.timestamp.difference.max.ms";
    public const string MinInSyncReplicas = "min.insync.replicas";
    public const string RetentionBytes = "retention.bytes";
    public const string RetentionMs = "retention.ms";
    public const string SegmentBytes = "segment.bytes";
    public const string SegmentMs = "segment.ms";
    public const string SegmentIndexBytes = "segment.index.bytes";
    public const string UncleanLeaderElectionEnable = "unclean.leader.election.enable";
    public const string MinCompactionLagMs = "min.compaction.lag.ms";
    public const string MaxCompactionLagMs = "max.compaction.lag.ms";
    public const string MinCleanableDirtyRatio = "min.cleanable.dirty.ratio";
    public const string Preallocate = "preallocate";

    private static readonly string LongMax = long.MaxValue.ToString(CultureInfo.InvariantCulture);

    /// <summary>The topic config definition (defaults equal the broker synonyms' defaults).</summary>
    public static ConfigDef Definition { get; } = new ConfigDef()
        .Define(CleanupPolicy, ConfigType.List, "delete", ConfigValidator.ListOf(false, BrokerConfigs.CleanupPolicies), Medium, "delete, compact, or both.")
        .Define(CompressionType, ConfigType.String, "producer", ConfigValidator.In(BrokerConfigs.CompressionTypes), Medium, "Compression of stored batches; producer keeps the producer's codec.")
        .Define(DeleteRetentionMs, ConfigType.Duration, "86400000", ConfigValidator.AtLeast(0), Medium, "How long tombstones are kept in a compacted topic.")
        .Define(FileDeleteDelayMs, ConfigType.Duration, "60000", ConfigValidator.AtLeast(0), Medium, "Delay before a deleted segment's files are removed.")
        .Define(FlushMessages, ConfigType.Long, LongMax, ConfigValidator.AtLeast(1), Medium, "Messages appended before the log is fsynced (1: every append).")
        .Define(FlushMs, ConfigType.Duration, LongMax, ConfigValidator.AtLeast(0), Medium, "Time a message may stay unflushed.")
        .Define(IndexIntervalBytes, ConfigType.Size, "4096", ConfigValidator.Between(0, int.MaxValue), Medium, "Bytes between offset index entries.")
        .Define(MaxMessageBytes, ConfigType.Size, "1048588", ConfigValidator.Between(0, int.MaxValue), Medium, "Largest record batch size accepted (bytes).")
        .Define(MessageTimestampType, ConfigType.String, "CreateTime", ConfigValidator.In(BrokerConfigs.TimestampTypes), Medium, "CreateTime or LogAppendTime.")
        .Define(MessageTimestampDifferenceMaxMs, ConfigType.Duration, LongMax, ConfigValidator.AtLeast(0), Medium, "Largest allowed difference between a CreateTime timestamp and the broker's clock.")
        .Define(MinInSyncReplicas, ConfigType.Int, "1", ConfigValidator.AtLeast(1), Medium, "Replicas that must acknowledge a write with acks=all.")
        .Define(RetentionBytes, ConfigType.Size, "-1", ConfigValidator.AtLeast(-1), Medium, "Size a partition log may reach before old segments are deleted (-1: no limit).")
        .Define(RetentionMs, ConfigType.Duration, "604800000", ConfigValidator.AtLeast(-1), Medium, "Time to keep a log segment (-1: forever).")
        .Define(SegmentBytes, ConfigType.Size, "1073741824", ConfigValidator.Between(14, int.MaxValue), Medium, "Size at which a segment is rolled (bytes).")
        .Define(SegmentMs, ConfigType.Duration, "604800000", ConfigValidator.AtLeast(1), Medium, "Age at which a segment is rolled.")
        .Define(SegmentIndexBytes, ConfigType.Size, "10485760", ConfigValidator.Between(4, int.MaxValue), Medium, "Maximum size of an index file (bytes).")
        .Define(UncleanLeaderElectionEnable, ConfigType.Boolean, "false", null, Medium, "Allow an out-of-sync replica to become leader (data loss).")
        .Define(MinCompactionLagMs, ConfigType.Duration, "0", ConfigValidator.AtLeast(0), Medium, "Minimum age of a record before it may be compacted.")
        .Define(MaxCompactionLagMs, ConfigType.Duration, LongMax, ConfigValidator.AtLeast(1), Medium, "Maximum time a record stays ineligible for compaction.")
        .Define(MinCleanableDirtyRatio, ConfigType.Double, "0.5", ConfigValidator.Between(0, 1), Medium, "Minimum dirty ratio of a log before it is compacted.")
        .Define(Preallocate, ConfigType.Boolean, "false", null, Medium, "Preallocate a segment file when it is created.");

    private static readonly Dictionary<string, BrokerSynonym[]> Synonyms = new(StringComparer.Ordinal)
    {
        [CleanupPolicy] = [new(BrokerConfigs.LogCleanupPolicy)],
        [CompressionType] = [new(BrokerConfigs.CompressionType)],
        [DeleteRetentionMs] = [new(BrokerConfigs.LogCleanerDeleteRetentionMs)],
        [FileDeleteDelayMs] = [new(BrokerConfigs.LogSegmentDeleteDelayMs)],
        [FlushMessages] = [new(BrokerConfigs.LogFlushIntervalMessages)],
        [FlushMs] = [new(BrokerConfigs.LogFlushIntervalMs)],
        [IndexIntervalBytes] = [new(BrokerConfigs.LogIndexIntervalBytes)],
        [MaxMessageBytes] = [new(BrokerConfigs.MessageMaxBytes)],
        [MessageTimestampType] = [new(BrokerConfigs.LogMessageTimestampType)],
        [MessageTimestampDifferenceMaxMs] = [new(BrokerConfigs.LogMessageTimestampDifferenceMaxMs)],
        [MinInSyncReplicas] = [new(BrokerConfigs.MinInSyncReplicas)],
        [RetentionBytes] = [new(BrokerConfigs.LogRetentionBytes)],
        [RetentionMs] =
        [
            new(BrokerConfigs.LogRetentionMs),
            new(BrokerConfigs.LogRetentionMinutes, v => (int)v < 0 ? -1L : (int)v * 60_000L),
            new(BrokerConfigs.LogRetentionHours, v => (int)v < 0 ? -1L : (int)v * 3_600_000L),
        ],
        [SegmentBytes] = [new(BrokerConfigs.LogSegmentBytes)],
        [SegmentMs] = [new(BrokerConfigs.LogRollMs), new(BrokerConfigs.LogRollHours, v => (int)v * 3_600_000L)],
        [SegmentIndexBytes] = [new(BrokerConfigs.LogIndexSizeMaxBytes)],
        [UncleanLeaderElectionEnable] = [new(BrokerConfigs.UncleanLeaderElectionEnable)],
        [MinCompactionLagMs] = [new(BrokerConfigs.LogCleanerMinCompactionLagMs)],
        [MaxCompactionLagMs] = [new(BrokerConfigs.LogCleanerMaxCompactionLagMs)],
        [MinCleanableDirtyRatio] = [new(BrokerConfigs.LogCleanerMinCleanableRatio)],
        [Preallocate] = [new(BrokerConfigs.LogPreallocate)],
    };

    /// <summary>The broker keys backing <paramref name="topicKey"/>, highest precedence first.</summary>
    public static IReadOnlyList<BrokerSynonym> SynonymsOf(string topicKey)
    {
        _ = Definition[topicKey];
        return Synonyms.TryGetValue(topicKey, out var s) ? s : [];
    }

    /// <summary>Validates topic overrides (CreateTopics configs, AlterConfigs); throws naming the first bad key.</summary>
    public static void Validate(IReadOnlyDictionary<string, string?> overrides)
    {
        foreach (var (name, value) in overrides)
        {
            if (value is not null)
            {
                Definition.Parse(name, value);
            }
        }
    }
}

/// <summary>
/// A broker key backing a topic key; <see cref="Convert"/> maps its value to the topic key's unit
/// (hours to ms) when they differ.
/// </summary>
public sealed record BrokerSynonym(string BrokerKey, Func<object, object>? Convert = null)
{
    public object ToTopicValue(object brokerValue) => Convert is null ? brokerValue : Convert(brokerValue);
}
