using Broker.Actors.Configs;
using Broker.Host.Configuration;
using Broker.Host.Configuration.Hocon;
using Microsoft.Extensions.Configuration;
using static Broker.Host.Tests.Configuration.HoconTestHelper;

namespace Broker.Host.Tests.Configuration;

public class ReferenceConfTests
{
    private static string HoconDir => Path.Combine(RepoRoot(), "hocon");

    [Fact]
    public void ReferenceConf_IsUpToDateWithBrokerConfigs()
    {
        var path = Path.Combine(HoconDir, "reference.conf");
        var expected = EffectiveConfigPrinter.PrintReference(BrokerConfigs.Definition);
        if (Environment.GetEnvironmentVariable("AKKABROKER_UPDATE_REFERENCE") == "1")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(File.Exists(path), path);
        Assert.True(expected == File.ReadAllText(path),
            "hocon/reference.conf is stale: run AKKABROKER_UPDATE_REFERENCE=1 dotnet test --filter ReferenceConf");
    }

    [Fact]
    public void ReferenceConf_ParsesToEveryDefault()
    {
        var config = new ConfigurationBuilder().AddHoconFile(Path.Combine(HoconDir, "reference.conf")).Build();
        var raw = BrokerConfigReader.Read(config, BrokerConfigs.Definition, out var ignored);
        Assert.Empty(ignored);
        foreach (var key in BrokerConfigs.Definition.Keys)
        {
            if (!key.HasDefault)
            {
                Assert.False(raw.ContainsKey(key.Name));
                continue;
            }

            var parsed = raw.TryGetValue(key.Name, out var text) ? ConfigDef.ParseValue(key, text) : null;
            Assert.Equal(ConfigDef.Format(key.DefaultValue), ConfigDef.Format(parsed));
        }
    }

    [Fact]
    public void SingleNodeConf_IsAValidCombinedNode()
    {
        var s = BrokerStartup.Load(Path.Combine(HoconDir, "single-node.conf"), []);
        Assert.Equal(1, s.NodeId);
        Assert.True(s.IsBroker && s.IsController);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 9092)], s.Listeners);
        Assert.Equal([Path.GetFullPath("./data")], s.LogDirs);
        Assert.Equal([new QuorumVoter(1, "127.0.0.1", 9093)], s.ControllerQuorumVoters);
        Assert.Equal(1, s.Values.GetInt(BrokerConfigs.OffsetsTopicReplicationFactor));
        Assert.Equal(8, s.NumIoThreads);

        // reference.conf spells out every default: those still report DEFAULT_CONFIG.
        Assert.Equal(ConfigSource.DefaultConfig, s.Values.SourceOf(BrokerConfigs.NumIoThreads));
        Assert.Equal(ConfigSource.DefaultConfig, TopicConfigs.Describe(TopicConfigs.RetentionMs, new Dictionary<string, string?>(), s.Values).Source);
        Assert.Equal(ConfigSource.StaticBrokerConfig, s.Values.SourceOf(BrokerConfigs.OffsetsTopicReplicationFactor));
    }

    [Fact]
    public void PrintedConfig_ReadsBackToTheSameValues()
    {
        var s = BrokerStartup.Load(Path.Combine(HoconDir, "single-node.conf"), [new("broker.rack", "r\"1")]);
        var printed = EffectiveConfigPrinter.Print(s.Values);
        var again = BrokerSettings.FromConfiguration(new ConfigurationBuilder().AddHoconString(printed).Build());
        foreach (var name in s.Values.Names)
        {
            Assert.Equal(s.Values.Format(name), again.Values.Format(name));
        }

        Assert.Contains("num.io.threads = 8  # default\n", printed, StringComparison.Ordinal);
        Assert.Contains("node.id = 1\n", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void HoconParserReadsTheShippedFilesWithoutSubstitutionSurprises()
    {
        foreach (var file in Directory.GetFiles(HoconDir, "*.conf"))
        {
            var root = HoconParser.ParseFile(file);
            HoconResolver.Resolve(root, _ => null);
            Assert.NotEmpty(HoconConfigurationProvider.Flatten(root));
        }
    }
}
