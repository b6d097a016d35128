using Broker.Actors.Configs;

namespace Broker.Host.Tests.Configuration;

public class ConfigDefTests
{
    private static readonly ConfigDef Def = new ConfigDef()
        .DefineRequired("a.int", ConfigType.Int, ConfigValidator.AtLeast(1), ConfigImportance.High, "an int")
        .Define("a.long", ConfigType.Long, "5", ConfigValidator.Between(0, 10), ConfigImportance.Low, "a long")
        .Define("a.bool", ConfigType.Boolean, "false", null, ConfigImportance.Low, "a bool")
        .Define("a.double", ConfigType.Double, "0.5", ConfigValidator.Between(0, 1), ConfigImportance.Low, "a ratio")
        .Define("a.string", ConfigType.String, null, ConfigValidator.In("x", "y"), ConfigImportance.Low, "one of")
        .Define("a.list", ConfigType.List, "p,q", ConfigValidator.ListOf(false, "p", "q", "r"), ConfigImportance.Low, "a list")
        .Define("a.ms", ConfigType.Duration, "1h", ConfigValidator.AtLeast(0), ConfigImportance.Low, "a duration")
        .Define("a.bytes", ConfigType.Size, "1MiB", null, ConfigImportance.Low, "a size");

    [Fact]
    public void Parse_EachType()
    {
        Assert.Equal(42, Def.Parse("a.int", " 42 "));
        Assert.Equal(7L, Def.Parse("a.long", "7"));
        Assert.Equal(true, Def.Parse("a.bool", "TRUE"));
        Assert.Equal(0.25, Def.Parse("a.double", "0.25"));
        Assert.Equal("y", Def.Parse("a.string", "y"));
        Assert.Equal(new[] { "p", "r" }, (IReadOnlyList<string>)Def.Parse("a.list", " p , ,r ")!);
        Assert.Equal(10_000L, Def.Parse("a.ms", "10s"));
        Assert.Equal(65_536L, Def.Parse("a.bytes", "64KiB"));
    }

    [Theory]
    [InlineData("a.int", "abc", "a.int: expected an int, got 'abc'")]
    [InlineData("a.int", "0", "a.int: value 0 must be at least 1")]
    [InlineData("a.long", "11", "a.long: value 11 must be at most 10")]
    [InlineData("a.bool", "yes", "a.bool: expected a boolean (true or false), got 'yes'")]
    [InlineData("a.double", "2", "a.double: value 2 must be at most 1")]
    [InlineData("a.string", "z", "a.string: 'z' is not one of [x, y]")]
    [InlineData("a.list", "p,s", "a.list: 's' is not one of [p, q, r]")]
    [InlineData("a.list", "", "a.list: must not be empty")]
    [InlineData("a.ms", "-5s", "a.ms: value -5000 must be at least 0")]
    [InlineData("a.bytes", "1 parsec", "a.bytes: unknown size unit 'parsec' in '1 parsec' (known: B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)")]
    [InlineData("no.such.key", "1", "no.such.key: unknown configuration key")]
    public void BadValues_NameTheKey(string key, string value, string message)
    {
        var e = Assert.Throws<ConfigException>(() => Def.Parse(key, value));
        Assert.Equal(key, e.Key);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ParseAll_FillsDefaultsAndSources()
    {
        var values = Def.ParseAll(new Dictionary<string, string?> { ["a.int"] = "3", ["a.ms"] = "2s" });
        Assert.Equal(3, values.GetInt("a.int"));
        Assert.Equal(ConfigSource.StaticBrokerConfig, values.SourceOf("a.int"));
        Assert.Equal(2000L, values.GetLong("a.ms"));
        Assert.Equal(3_600_000L, values.GetLong("a.ms") * 1800);
        Assert.Equal(5L, values.GetLong("a.long"));
        Assert.Equal(ConfigSource.DefaultConfig, values.SourceOf("a.long"));
        Assert.Null(values.GetString("a.string"));
        Assert.Equal(1_048_576L, values.GetLong("a.bytes"));
        Assert.Equal("p,q", values.Format("a.list"));
    }

    [Fact]
    public void ParseAll_ReportsBadValuesBeforeUnknownKeysBeforeMissingRequired()
    {
        var bad = Assert.Throws<ConfigException>(() => Def.ParseAll(new Dictionary<string, string?> { ["zzz"] = "1", ["a.long"] = "x" }));
        Assert.Equal("a.long", bad.Key);
        var unknown = Assert.Throws<ConfigException>(() => Def.ParseAll(new Dictionary<string, string?> { ["zzz"] = "1" }));
        Assert.Equal("zzz: unknown configuration key", unknown.Message);
        var missing = Assert.Throws<ConfigException>(() => Def.ParseAll(new Dictionary<string, string?>()));
        Assert.Equal("a.int", missing.Key);
        Assert.Contains("required", missing.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WithOverrides_LayersDynamicValues()
    {
        var values = Def.ParseAll(new Dictionary<string, string?> { ["a.int"] = "3" })
            .WithOverrides(new Dictionary<string, string?> { ["a.long"] = "9" }, ConfigSource.DynamicBrokerConfig);
        Assert.Equal(9L, values.GetLong("a.long"));
        Assert.Equal(ConfigSource.DynamicBrokerConfig, values.SourceOf("a.long"));
        Assert.Throws<ConfigException>(() => values.WithOverrides(new Dictionary<string, string?> { ["a.long"] = "99" }, ConfigSource.DynamicBrokerConfig));
    }

    [Fact]
    public void DefaultsAreValidated_AndDuplicatesRejected()
    {
        Assert.Throws<ConfigException>(() => new ConfigDef().Define("x", ConfigType.Int, "nope", null, ConfigImportance.Low, ""));
        Assert.Throws<InvalidOperationException>(() => new ConfigDef()
            .Define("x", ConfigType.Int, "1", null, ConfigImportance.Low, "")
            .Define("x", ConfigType.Int, "1", null, ConfigImportance.Low, ""));
    }

    [Fact]
    public void BrokerConfigs_HaveKafkasDefaults()
    {
        var keys = BrokerConfigs.Definition;
        Assert.Equal(8, keys[BrokerConfigs.NumIoThreads].DefaultValue);
        Assert.Equal(3, keys[BrokerConfigs.NumNetworkThreads].DefaultValue);
        Assert.Equal(500, keys[BrokerConfigs.QueuedMaxRequests].DefaultValue);
        Assert.Equal(104_857_600L, keys[BrokerConfigs.SocketRequestMaxBytes].DefaultValue);
        Assert.Equal(1_048_588L, keys[BrokerConfigs.MessageMaxBytes].DefaultValue);
        Assert.Equal(1_073_741_824L, keys[BrokerConfigs.LogSegmentBytes].DefaultValue);
        Assert.Equal(168, keys[BrokerConfigs.LogRetentionHours].DefaultValue);
        Assert.Equal(long.MaxValue, keys[BrokerConfigs.LogFlushIntervalMessages].DefaultValue);
        Assert.Equal(50, keys[BrokerConfigs.OffsetsTopicNumPartitions].DefaultValue);
        Assert.Equal(3000L, keys[BrokerConfigs.GroupInitialRebalanceDelayMs].DefaultValue);
        Assert.Equal(false, keys[BrokerConfigs.ManagementHttpAllowStateChanges].DefaultValue);
        Assert.False(keys[BrokerConfigs.NodeId].HasDefault);
    }

    [Fact]
    public void NoConfigKeyIsADottedPrefixOfAnother()
    {
        // HOCON nests dotted keys: if a.b and a.b.c were both keys, a.b could not be both a value and an object.
        foreach (var def in new[] { BrokerConfigs.Definition, TopicConfigs.Definition })
        {
            var names = def.Keys.Select(k => k.Name).ToList();
            foreach (var n in names)
            {
                Assert.DoesNotContain(names, other => other.StartsWith(n + ".", StringComparison.Ordinal));
            }
        }
    }

    [Theory]
    [InlineData("PLAINTEXT://127.0.0.1:9092", "PLAINTEXT", "127.0.0.1", 9092)]
    [InlineData("plaintext://:9092", "PLAINTEXT", "", 9092)]
    [InlineData("CONTROLLER://[::1]:9093", "CONTROLLER", "::1", 9093)]
    public void Listeners_Parse(string text, string name, string host, int port)
    {
        Assert.True(ListenerEndpoint.TryParse(text, out var e, out _));
        Assert.Equal(new ListenerEndpoint(name, host, port), e);
    }

    [Theory]
    [InlineData("127.0.0.1:9092")]
    [InlineData("PLAINTEXT://host")]
    [InlineData("PLAINTEXT://host:99999")]
    public void BadListeners_AreRejected(string text)
        => Assert.False(ListenerEndpoint.TryParse(text, out _, out _));

    [Fact]
    public void QuorumVoters_ParseAndRejectDuplicates()
    {
        var voters = QuorumVoter.ParseList(["1@a:9093", "2@b:9093"], "k");
        Assert.Equal(new QuorumVoter(2, "b", 9093), voters[1]);
        var e = Assert.Throws<ConfigException>(() => QuorumVoter.ParseList(["1@a:9093", "1@b:9093"], "k"));
        Assert.Contains("more than once", e.Reason, StringComparison.Ordinal);
        Assert.Throws<ConfigException>(() => QuorumVoter.ParseList(["a:9093"], "k"));
    }
}
