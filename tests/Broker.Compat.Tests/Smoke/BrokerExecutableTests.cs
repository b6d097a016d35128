using System.Text.RegularExpressions;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Smoke;

/// <summary>The broker the compat tests start is the one built from this checkout, and it runs.</summary>
public sealed class BrokerExecutableTests
{
    [Fact]
    public async Task Version_prints_a_version_and_exits_zero()
    {
        Assert.True(File.Exists(RepoPaths.BrokerDll), $"no broker build at {RepoPaths.BrokerDll}: build src/Broker.Host in {RepoPaths.Configuration}");

        var result = await ClientRunner.RunAsync(RepoPaths.DotnetHost, [RepoPaths.BrokerDll, "--version"], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(new Regex(@"\d+\.\d+\.\d+"), result.Stdout);
    }

    [Fact]
    public async Task The_harness_command_line_is_a_valid_configuration_with_every_key_known()
    {
        var logDirs = Path.Combine(Path.GetTempPath(), "akkabroker-compat-config-check");
        var info = BrokerProcess.BrokerCommand(45678, logDirs, new BrokerOptions());
        var args = info.ArgumentList.Append("--print-config");

        var result = await ClientRunner.RunAsync(info.FileName, args, TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"log.dirs = [\"{logDirs}\"]", result.Stdout);
        Assert.Contains("listeners = [\"PLAINTEXT://127.0.0.1:45678\"]", result.Stdout);
        Assert.Contains("node.id = 1", result.Stdout);
        Assert.DoesNotContain("unknown configuration key", result.Stdout + result.Stderr);
        Assert.False(Directory.Exists(logDirs), "printing the configuration must not create log.dirs");
    }
}
