using Broker.Actors.Configs;

namespace Broker.Host.Tests.Configuration;

public class TopicConfigsTests
{
    private static ConfigValues Broker(params (string Key, string Value)[] set)
    {
        var raw = new Dictionary<string, string?>
        {
            [BrokerConfigs.NodeId] = "1",
            [BrokerConfigs.ProcessRoles] = "broker",
        };
        foreach (var (k, v) in set)
        {
            raw[k] = v;
        }

        return BrokerConfigs.Definition.ParseAll(raw);
    }

    private static readonly Dictionary<string, string?> NoOverrides = [];

    [Fact]
    public void Default_ComesFromTheBrokerSynonymsDefault()
    {
        var e = TopicConfigs.Describe(TopicConfigs.RetentionMs, NoOverrides, Broker());
        Assert.Equal("604800000", e.Value);
        Assert.Equal(ConfigSource.DefaultConfig, e.Source);
        Assert.Equal([new ConfigSynonym("log.retention.hours", "168", ConfigSource.DefaultConfig)], e.Synonyms);
    }

    [Fact]
    public void StaticBrokerConfig_BeatsDefault_AndConvertsUnits()
    {
        var e = TopicConfigs.Describe(TopicConfigs.RetentionMs, NoOverrides, Broker((BrokerConfigs.LogRetentionHours, "24")));
        Assert.Equal("86400000", e.Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, e.Source);
        Assert.Equal(new ConfigSynonym("log.retention.hours", "24", ConfigSource.StaticBrokerConfig), e.Synonyms[0]);

        var minutes = TopicConfigs.Describe(TopicConfigs.RetentionMs, NoOverrides,
            Broker((BrokerConfigs.LogRetentionHours, "24"), (BrokerConfigs.LogRetentionMinutes, "30")));
        Assert.Equal("1800000", minutes.Value);
        Assert.Equal(["log.retention.minutes", "log.retention.hours"], minutes.Synonyms.Select(s => s.Name));

        var ms = TopicConfigs.Describe(TopicConfigs.RetentionMs, NoOverrides,
            Broker((BrokerConfigs.LogRetentionMs, "1h"), (BrokerConfigs.LogRetentionMinutes, "30")));
        Assert.Equal("3600000", ms.Value);
        Assert.Equal(["log.retention.ms", "log.retention.minutes", "log.retention.hours"], ms.Synonyms.Select(s => s.Name));
        Assert.Equal(ConfigSource.DefaultConfig, ms.Synonyms[2].Source);
    }

    [Fact]
    public void TopicOverride_BeatsEverything()
    {
        var overrides = new Dictionary<string, string?> { [TopicConfigs.RetentionMs] = "10s" };
        var e = TopicConfigs.Describe(TopicConfigs.RetentionMs, overrides, Broker((BrokerConfigs.LogRetentionMs, "1h")));
        Assert.Equal("10000", e.Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, e.Source);
        Assert.Equal(
            [
                new ConfigSynonym("retention.ms", "10000", ConfigSource.DynamicTopicConfig),
                new ConfigSynonym("log.retention.ms", "3600000", ConfigSource.StaticBrokerConfig),
                new ConfigSynonym("log.retention.hours", "168", ConfigSource.DefaultConfig),
            ],
            e.Synonyms);
    }

    [Fact]
    public void DynamicBrokerConfig_IsReportedWithItsSource()
    {
        var broker = Broker().WithOverrides(new Dictionary<string, string?> { [BrokerConfigs.LogSegmentBytes] = "1MiB" }, ConfigSource.DynamicBrokerConfig);
        var e = TopicConfigs.Describe(TopicConfigs.SegmentBytes, NoOverrides, broker);
        Assert.Equal("1048576", e.Value);
        Assert.Equal(ConfigSource.DynamicBrokerConfig, e.Source);
    }

    [Fact]
    public void NullDefaultSynonym_FallsBackToTopicDefault()
    {
        // log.flush.interval.ms has no default; flush.ms then uses its own (Long.MaxValue).
        var e = TopicConfigs.Describe(TopicConfigs.FlushMs, NoOverrides, Broker());
        Assert.Equal(long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Value);
        Assert.Equal(ConfigSource.DefaultConfig, e.Source);
        Assert.Empty(e.Synonyms);
    }

    [Fact]
    public void Resolve_GivesTypedValuesForTheLog()
    {
        var values = TopicConfigs.Resolve(
            new Dictionary<string, string?> { [TopicConfigs.CleanupPolicy] = "compact,delete", [TopicConfigs.MinCleanableDirtyRatio] = "0.1" },
            Broker((BrokerConfigs.LogFlushIntervalMessages, "1"), (BrokerConfigs.LogRollHours, "1")));
        Assert.Equal(["compact", "delete"], values.GetList(TopicConfigs.CleanupPolicy));
        Assert.Equal(1L, values.GetLong(TopicConfigs.FlushMessages));
        Assert.Equal(3_600_000L, values.GetLong(TopicConfigs.SegmentMs));
        Assert.Equal(0.1, values.GetDouble(TopicConfigs.MinCleanableDirtyRatio));
        Assert.Equal(ConfigSource.StaticBrokerConfig, values.SourceOf(TopicConfigs.FlushMessages));
        Assert.Equal(ConfigSource.DynamicTopicConfig, values.SourceOf(TopicConfigs.CleanupPolicy));
    }

    [Fact]
    public void EveryTopicKey_HasABrokerSynonymWhoseDefaultMatches()
    {
        var broker = Broker();
        foreach (var key in TopicConfigs.Definition.Keys)
        {
            var synonyms = TopicConfigs.SynonymsOf(key.Name);
            Assert.NotEmpty(synonyms);
            Assert.All(synonyms, s => Assert.True(BrokerConfigs.Definition.Contains(s.BrokerKey), s.BrokerKey));
            var described = TopicConfigs.Describe(key.Name, NoOverrides, broker);
            Assert.Equal(ConfigDef.Format(key.DefaultValue), described.Value);
        }
    }

    [Fact]
    public void Validate_NamesTheBadKey()
    {
        var e = Assert.Throws<ConfigException>(() => TopicConfigs.Validate(new Dictionary<string, string?>
        {
            [TopicConfigs.RetentionMs] = "1d",
            [TopicConfigs.CleanupPolicy] = "shred",
        }));
        Assert.Equal("cleanup.policy: 'shred' is not one of [delete, compact]", e.Message);
        var unknown = Assert.Throws<ConfigException>(() => TopicConfigs.Validate(new Dictionary<string, string?> { ["retention.msec"] = "1" }));
        Assert.Equal("retention.msec", unknown.Key);
    }
}

public class TopicLogConfigTests
{
    [Fact]
    public void CreateLogConfig_DefaultsMatchStoragesDefaults()
    {
        var broker = BrokerConfigs.Definition.ParseAll(new Dictionary<string, string?>
        {
            [BrokerConfigs.NodeId] = "1",
            [BrokerConfigs.ProcessRoles] = "broker",
        });
        Assert.Equal(Broker.Actors.Storage.LogConfig.Default, TopicConfigs.CreateLogConfig(new Dictionary<string, string?>(), broker));
    }

    [Fact]
    public void CreateLogConfig_AppliesOverridesAndBrokerSynonyms()
    {
        var broker = BrokerConfigs.Definition.ParseAll(new Dictionary<string, string?>
        {
            [BrokerConfigs.NodeId] = "1",
            [BrokerConfigs.ProcessRoles] = "broker",
            [BrokerConfigs.LogFlushIntervalMessages] = "1",
            [BrokerConfigs.LogRetentionHours] = "1",
        });
        var log = TopicConfigs.CreateLogConfig(new Dictionary<string, string?>
        {
            [TopicConfigs.SegmentBytes] = "1MiB",
            [TopicConfigs.MessageTimestampType] = "LogAppendTime",
        }, broker);
        Assert.Equal(1_048_576, log.SegmentBytes);
        Assert.Equal(1L, log.FlushMessages);
        Assert.Equal(3_600_000L, log.RetentionMs);
        Assert.Equal(Broker.Actors.Storage.TimestampType.LogAppendTime, log.TimestampType);
    }
}

public class BrokerDescribeTests
{
    [Fact]
    public void DescribeAll_ReportsValuesAndSources()
    {
        var broker = BrokerConfigs.Definition.ParseAll(new Dictionary<string, string?>
        {
            [BrokerConfigs.NodeId] = "3",
            [BrokerConfigs.ProcessRoles] = "broker",
            [BrokerConfigs.LogSegmentBytes] = "1MiB",
        });
        var all = BrokerConfigs.DescribeAll(broker).ToDictionary(e => e.Name);
        Assert.Equal(BrokerConfigs.Definition.Keys.Count, all.Count);
        Assert.Equal(("1048576", ConfigSource.StaticBrokerConfig), (all["log.segment.bytes"].Value, all["log.segment.bytes"].Source));
        Assert.Equal(("8", ConfigSource.DefaultConfig), (all["num.io.threads"].Value, all["num.io.threads"].Source));
        Assert.Null(all["broker.rack"].Value);
        Assert.Empty(all["broker.rack"].Synonyms);
        Assert.True(all["num.io.threads"].IsReadOnly);
    }
}
