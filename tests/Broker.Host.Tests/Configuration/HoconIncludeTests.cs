using Broker.Host.Configuration.Hocon;
using Microsoft.Extensions.Configuration;
using static Broker.Host.Tests.Configuration.HoconTestHelper;

namespace Broker.Host.Tests.Configuration;

public sealed class HoconIncludeTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static Dictionary<string, string?> Load(string path, Func<string, string?>? env = null)
    {
        var source = new HoconConfigurationSource { Path = path, Environment = env ?? (_ => null) };
        return new ConfigurationBuilder().Add(source).Build().AsEnumerable()
            .Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    [Fact]
    public void Include_IsRelativeToTheIncludingFile_AndLaterKeysWin()
    {
        Write("conf/base/reference.conf", "num.io.threads = 8\nlog { dirs = /tmp/a, segment.bytes = 1GiB }");
        var main = Write("conf/main.conf", "include \"base/reference.conf\"\nnum.io.threads = 16\nlog.dirs = /data");
        var d = Load(main);
        Assert.Equal("16", d["num:io:threads"]);
        Assert.Equal("/data", d["log:dirs"]);
        Assert.Equal("1GiB", d["log:segment:bytes"]);
    }

    [Fact]
    public void Include_FileAndRequiredForms()
    {
        Write("a.conf", "a = 1");
        Write("b.conf", "b = 2");
        var main = Write("main.conf", "include file(\"a.conf\")\ninclude required(file(\"b.conf\"))\ninclude \"missing.conf\"\nc = 3");
        var d = Load(main);
        Assert.Equal("1", d["a"]);
        Assert.Equal("2", d["b"]);
        Assert.Equal("3", d["c"]);
    }

    [Fact]
    public void RequiredMissingInclude_IsAnErrorWithLine()
    {
        var main = Write("main.conf", "a = 1\ninclude required(\"nope.conf\")");
        var e = Assert.Throws<HoconException>(() => Load(main));
        Assert.Equal(main + ":2:1", e.Origin);
        Assert.Contains("nope.conf", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void IncludeInsideAnObject_NestsItsKeys()
    {
        Write("inner.conf", "x = 1");
        var main = Write("main.conf", "outer { include \"inner.conf\" }");
        Assert.Equal("1", Load(main)["outer:x"]);
    }

    [Fact]
    public void IncludedSubstitutions_SeeTheIncludingFilesValues()
    {
        Write("reference.conf", "dir = /tmp\nlog.dirs = ${dir}/kafka-logs");
        var main = Write("main.conf", "include \"reference.conf\"\ndir = /srv");
        Assert.Equal("/srv/kafka-logs", Load(main)["log:dirs"]);
    }

    [Fact]
    public void IncludeCycle_IsAnError()
    {
        Write("a.conf", "include \"b.conf\"");
        Write("b.conf", "include \"a.conf\"");
        var e = Assert.Throws<HoconException>(() => Load(Path.Combine(_dir, "a.conf")));
        Assert.Contains("nested deeper", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionalEnvironmentSubstitution_InFile()
    {
        var main = Write("main.conf", "log.dirs = /default\nlog.dirs = ${?AKKABROKER_LOG_DIRS}\nrack = ${?AKKABROKER_RACK}");
        Assert.Equal("/default", Load(main)["log:dirs"]);
        var withEnv = Load(main, n => n == "AKKABROKER_LOG_DIRS" ? "/from/env" : null);
        Assert.Equal("/from/env", withEnv["log:dirs"]);
        Assert.False(withEnv.ContainsKey("rack"));
    }

    [Fact]
    public void Overrides_ReplaceSubtreesAndAreSeenBySubstitutions()
    {
        var main = Write("main.conf", "process.roles = [broker, controller]\nport = 9092\nlisteners = \"PLAINTEXT://:\"${port}");
        var source = new HoconConfigurationSource { Path = main, Environment = _ => null };
        source.Overrides.Add(new("process.roles", "broker"));
        source.Overrides.Add(new("port", "19092"));
        source.Overrides.Add(new("new.key", "PLAINTEXT://h:1"));
        var config = new ConfigurationBuilder().Add(source).Build();
        Assert.Equal("broker", config["process:roles"]);
        Assert.Empty(config.GetSection("process:roles").GetChildren());
        Assert.Equal("PLAINTEXT://:19092", config["listeners"]);
        Assert.Equal("PLAINTEXT://h:1", config["new:key"]);
    }

    [Fact]
    public void OptionalMissingFile_IsEmpty_RequiredMissingFileThrows()
    {
        var missing = Path.Combine(_dir, "none.conf");
        var config = new ConfigurationBuilder().AddHoconFile(missing, optional: true).Build();
        Assert.Empty(config.AsEnumerable());
        Assert.Throws<FileNotFoundException>(() => new ConfigurationBuilder().AddHoconFile(missing).Build());
    }
}
