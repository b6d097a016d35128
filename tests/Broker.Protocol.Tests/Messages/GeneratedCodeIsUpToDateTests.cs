using Broker.Protocol.Generator;

namespace Broker.Protocol.Tests.Messages;

/// <summary>
/// Runs the generator in-process over ../shared/kafka-protocol (next to the repository; or the folder
/// named by KAFKA_PROTOCOL_SPECS) and checks the committed Generated/ folders match exactly.
/// Without the specs on this machine there is nothing to compare against, and the test passes.
/// </summary>
public sealed class GeneratedCodeIsUpToDateTests
{
    [Fact]
    public void CommittedGeneratedFilesMatchTheGenerator()
    {
        var repoRoot = FindRepoRoot();
        var specs = Environment.GetEnvironmentVariable("KAFKA_PROTOCOL_SPECS") is { Length: > 0 } env
            ? env
            : Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "kafka-protocol"));
        if (!Directory.Exists(specs))
        {
            return;
        }
        var outputRoot = Path.Combine(repoRoot, "src", "Broker.Protocol");
        var expected = ProtocolGenerator.Generate(specs);

        var committed = ProtocolGenerator.OutputFolders
            .SelectMany(folder => Directory.Exists(Path.Combine(outputRoot, folder))
                ? Directory.GetFiles(Path.Combine(outputRoot, folder), "*.g.cs").Select(f => folder + "/" + Path.GetFileName(f))
                : [])
            .ToHashSet(StringComparer.Ordinal);

        var missing = expected.Keys.Where(k => !committed.Contains(k)).ToList();
        var extra = committed.Where(k => !expected.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var stale = expected.Where(kv => committed.Contains(kv.Key) && File.ReadAllText(Path.Combine(outputRoot, kv.Key)) != kv.Value)
            .Select(kv => kv.Key).ToList();
        var hint = " (run: dotnet run --project src/Broker.Protocol.Generator -- ../shared/kafka-protocol)";
        Assert.True(missing.Count == 0, "missing generated files: " + string.Join(", ", missing) + hint);
        Assert.True(extra.Count == 0, "generated files no spec produces: " + string.Join(", ", extra) + hint);
        Assert.True(stale.Count == 0, "stale generated files: " + string.Join(", ", stale) + hint);
    }

    [Fact]
    public void GeneratorOutputIsDeterministic()
    {
        var repoRoot = FindRepoRoot();
        var specs = Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "kafka-protocol"));
        specs = Environment.GetEnvironmentVariable("KAFKA_PROTOCOL_SPECS") is { Length: > 0 } env ? env : specs;
        if (!Directory.Exists(specs))
        {
            return;
        }
        var a = ProtocolGenerator.Generate(specs);
        var b = ProtocolGenerator.Generate(specs);
        Assert.Equal(a.Keys, b.Keys);
        Assert.All(a, kv => Assert.Equal(kv.Value, b[kv.Key]));
        Assert.All(a.Values, text => Assert.DoesNotContain("\r", text, StringComparison.Ordinal));
    }

    internal static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AkkaBroker.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("AkkaBroker.sln not found above " + AppContext.BaseDirectory);
    }
}
