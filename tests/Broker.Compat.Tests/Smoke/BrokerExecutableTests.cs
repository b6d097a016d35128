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
}
