using Broker.Actors.Storage;

namespace Broker.Actors.Configs;

public static partial class TopicConfigs
{
    /// <summary>
    /// The <see cref="LogConfig"/> a partition's log runs with: the topic's overrides over the broker's
    /// synonyms over the defaults (see <see cref="Resolve"/>). Throws <see cref="ConfigException"/>
    /// naming the key when an override is invalid.
    /// </summary>
    public static LogConfig CreateLogConfig(IReadOnlyDictionary<string, string?> topicOverrides, ConfigValues broker)
    {
        var v = Resolve(topicOverrides, broker);
        return new LogConfig
        {
            SegmentBytes = checked((int)v.GetLong(SegmentBytes)),
            SegmentMs = v.GetLong(SegmentMs),
            SegmentIndexBytes = checked((int)v.GetLong(SegmentIndexBytes)),
            RetentionMs = v.GetLong(RetentionMs),
            RetentionBytes = v.GetLong(RetentionBytes),
            FlushMessages = v.GetLong(FlushMessages),
            FlushMs = v.GetLong(FlushMs),
            IndexIntervalBytes = checked((int)v.GetLong(IndexIntervalBytes)),
            MaxMessageBytes = checked((int)v.GetLong(MaxMessageBytes)),
            TimestampType = v.GetString(MessageTimestampType) == "LogAppendTime" ? TimestampType.LogAppendTime : TimestampType.CreateTime,
            FileDeleteDelayMs = v.GetLong(FileDeleteDelayMs),
            MinInSyncReplicas = v.GetInt(MinInSyncReplicas),
            ProducerIdExpirationMs = broker.GetLong(BrokerConfigs.ProducerIdExpirationMs),
        };
    }
}
