using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Smoke;

/// <summary>The client toolchain test.sh installs is there, and every compat script parses and loads its client.</summary>
public sealed class ClientScriptTests
{
    public static TheoryData<string> PythonScripts() => new(Directory.GetFiles(RepoPaths.PythonDir, "*.py").Select(Path.GetFileName)!);

    public static TheoryData<string> NodeScripts() => new(Directory.GetFiles(RepoPaths.NodeDir, "*.js").Select(Path.GetFileName)!);

    public static TheoryData<CompatClient> Clients() => new(Enum.GetValues<CompatClient>());

    [Theory]
    [MemberData(nameof(PythonScripts))]
    public async Task Python_script_compiles(string script)
    {
        // compile() instead of py_compile: nothing is written into the checkout.
        var path = Path.Combine(RepoPaths.PythonDir, script);
        var result = await ClientRunner.RunAsync(RepoPaths.Python, ["-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", path]);
        Assert.True(result.Succeeded, result.ToString());
    }

    [Theory]
    [MemberData(nameof(NodeScripts))]
    public async Task Node_script_parses(string script)
    {
        var result = await ClientRunner.RunAsync("node", ["--check", Path.Combine(RepoPaths.NodeDir, script)]);
        Assert.True(result.Succeeded, result.ToString());
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Client_script_loads_its_library_and_lists_every_command(CompatClient client)
    {
        // --help only prints after the imports ran, so this also proves the client library loads.
        var script = ClientScripts.ScriptOf(client);
        var result = client == CompatClient.KafkaJs
            ? await ClientRunner.NodeAsync(script, ["--help"])
            : await ClientRunner.PythonAsync(script, ["--help"]);

        Assert.True(result.Succeeded, result.ToString());
        foreach (var command in new[] { "create-topic", "delete-topic", "produce", "consume", "list-offsets", "alter-config", "describe-config", "delete-records" })
        {
            Assert.Contains(command, result.Stdout);
        }
    }

    [Fact]
    public async Task Kcat_is_installed_with_every_codec()
    {
        var result = await ClientRunner.KcatAsync(["-V"]);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("librdkafka", result.Stdout);
        foreach (var codec in new[] { "gzip", "snappy", "lz4", "zstd" })
        {
            Assert.Contains(codec, result.Stdout);
        }
    }
}
