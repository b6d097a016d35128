using Broker.Actors.Configs;
using Broker.Host.Configuration;
using static Broker.Host.Tests.Configuration.HoconTestHelper;

namespace Broker.Host.Tests.Configuration;

public class BrokerSettingsTests
{
    private const string Minimal = "node.id = 1\nprocess.roles = [broker, controller]\ncontroller.quorum.voters = \"1@127.0.0.1:9093\"\n";

    private static BrokerSettings Settings(string hocon) => BrokerSettings.FromConfiguration(Build(hocon));

    private static ConfigException Invalid(string hocon) => Assert.Throws<ConfigException>(() => Settings(hocon));

    [Fact]
    public void Minimal_TypedViewWithKafkaDefaults()
    {
        var s = Settings(Minimal);
        Assert.Equal(1, s.NodeId);
        Assert.True(s.IsBroker);
        Assert.True(s.IsController);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "", 9092)], s.Listeners);
        Assert.Equal(s.Listeners, s.AdvertisedListeners);
        Assert.Equal([new QuorumVoter(1, "127.0.0.1", 9093)], s.ControllerQuorumVoters);
        Assert.Equal(8, s.NumIoThreads);
        Assert.Equal(104_857_600, s.SocketRequestMaxBytes);
        Assert.Equal(["/tmp/kafka-logs"], s.LogDirs);
        Assert.Null(s.ManagementHttpListener);
        Assert.False(s.ManagementHttpAllowStateChanges);
        Assert.Equal(604_800_000L, s.TopicDefaults.GetLong(TopicConfigs.RetentionMs));
    }

    [Fact]
    public void UnitsAndListsFromHocon()
    {
        var s = Settings(Minimal + """
            socket.request.max.bytes = 100MiB
            log.retention.ms = 7d
            log.dirs = [./a, /b]
            listeners = "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
            advertised.listeners = ["PLAINTEXT://broker1:9092"]
            management.http.listener = "127.0.0.1:9644"
            log.flush.interval.messages = 1
            """);
        Assert.Equal(104_857_600, s.SocketRequestMaxBytes);
        Assert.Equal(604_800_000L, s.Values.GetLong(BrokerConfigs.LogRetentionMs));
        Assert.Equal([Path.GetFullPath("./a"), "/b"], s.LogDirs);
        Assert.Equal(2, s.Listeners.Count);
        Assert.Equal("broker1", s.AdvertisedListeners[0].Host);
        Assert.Equal("127.0.0.1:9644", s.ManagementHttpListener);
        Assert.Equal(1L, s.TopicDefaults.GetLong(TopicConfigs.FlushMessages));
        Assert.Equal(ConfigSource.StaticBrokerConfig, s.Values.SourceOf(BrokerConfigs.LogFlushIntervalMessages));
    }

    [Theory]
    [InlineData("num.io.threads = abc", "num.io.threads", "expected an int, got 'abc'")]
    [InlineData("num.io.threads = 0", "num.io.threads", "value 0 must be at least 1")]
    [InlineData("socket.request.max.bytes = 3GiB", "socket.request.max.bytes", "must be at most 2147483647")]
    [InlineData("log.retention.ms = forever", "log.retention.ms", "expected a duration")]
    [InlineData("compression.type = brotli", "compression.type", "'brotli' is not one of")]
    [InlineData("listeners = \"127.0.0.1:9092\"", "listeners", "not of the form NAME://host:port")]
    [InlineData("log.retention.hourz = 5", "log.retention.hourz", "unknown configuration key")]
    [InlineData("num.io { threads = 4, extra = 1 }", "num.io.extra", "unknown configuration key")]
    [InlineData("num.io.threads = [1, 2]", "num.io.threads", "expected a single value")]
    [InlineData("advertised.listeners = \"SSL://h:9093\"", "advertised.listeners", "'SSL' is not in listeners")]
    [InlineData("group.min.session.timeout.ms = 1h\ngroup.max.session.timeout.ms = 1m", "group.max.session.timeout.ms", "must not be less than")]
    [InlineData("broker.heartbeat.interval.ms = 10s", "broker.heartbeat.interval.ms", "must be less than broker.session.timeout.ms")]
    [InlineData("controller.quorum.voters = \"2@h:9093\"", "controller.quorum.voters", "must include this node (1)")]
    [InlineData("process.roles = [broker, zookeeper]", "process.roles", "'zookeeper' is not one of")]
    public void BadSettings_NameTheKey(string extra, string key, string reason)
    {
        var e = Invalid(Minimal + extra);
        Assert.Equal(key, e.Key);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingRequired_NamesTheKey()
    {
        Assert.Equal("node.id", Invalid("process.roles = [broker]").Key);
        Assert.Equal("controller.quorum.voters", Invalid("node.id = 2\nprocess.roles = [broker]").Key);
    }

    [Fact]
    public void KeysOutsideBrokerNamespaces_AreIgnoredButReported()
    {
        var s = Settings(Minimal + "akka.loglevel = DEBUG\nmy-app { x = 1 }");
        Assert.Equal(["akka.loglevel", "my-app.x"], s.IgnoredKeys);
    }

    [Fact]
    public void Overrides_WinOverTheFile_IncludingLists()
    {
        var dir = TempDir();
        try
        {
            var file = Path.Combine(dir, "b.conf");
            File.WriteAllText(file, Minimal + "num.io.threads = 4\n");
            var s = BrokerStartup.Load(file,
            [
                new("num.io.threads", "12"),
                new("process.roles", "broker"),
                new("node.id", "2"),
                new("listeners", "PLAINTEXT://127.0.0.1:19092"),
            ]);
            Assert.Equal(12, s.NumIoThreads);
            Assert.Equal(["broker"], s.ProcessRoles);
            Assert.Equal(19092, s.Listeners[0].Port);
            Assert.Equal(ConfigSource.StaticBrokerConfig, s.Values.SourceOf(BrokerConfigs.NumIoThreads));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
