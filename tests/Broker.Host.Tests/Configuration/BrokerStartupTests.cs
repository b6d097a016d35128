using System.Diagnostics;
using Broker.Host.Configuration;
using static Broker.Host.Tests.Configuration.HoconTestHelper;

namespace Broker.Host.Tests.Configuration;

public class BrokerStartupTests
{
    private static (int Code, string Out, string Err, BrokerSettings? Ran) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        BrokerSettings? ran = null;
        var code = BrokerStartup.Run(args, stdout, stderr, s =>
        {
            ran = s;
            return 0;
        });
        return (code, stdout.ToString(), stderr.ToString(), ran);
    }

    private static string SingleNode => Path.Combine(RepoRoot(), "hocon", "single-node.conf");

    [Fact]
    public void ValidConfig_RunsTheBrokerWithSetsWinning()
    {
        var (code, _, err, ran) = Run("--config", SingleNode, "--set", "num.io.threads=3", "--set=log.retention.ms=1h");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Equal(3, ran!.NumIoThreads);
        Assert.Equal(3_600_000L, ran.Values.GetLong("log.retention.ms"));
    }

    [Fact]
    public void BadSetting_OneLineNamingTheKey_ExitCode2()
    {
        var (code, stdout, err, ran) = Run("--config", SingleNode, "--set", "num.io.threads=abc");
        Assert.Equal(2, code);
        Assert.Null(ran);
        Assert.Equal("", stdout);
        Assert.Equal("akkabroker: invalid configuration: num.io.threads: expected an int, got 'abc'" + Environment.NewLine, err);
    }

    [Fact]
    public void HoconSyntaxError_OneLineWithFileAndLine()
    {
        var dir = TempDir();
        try
        {
            var file = Path.Combine(dir, "bad.conf");
            File.WriteAllText(file, "node.id = 1\nlisteners = \"PLAINTEXT://x:1\n");
            var (code, _, err, _) = Run("--config", file);
            Assert.Equal(2, code);
            Assert.Equal($"akkabroker: invalid configuration: {file}:2:13: unterminated quoted string" + Environment.NewLine, err);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--config")]
    [InlineData("--set", "novalue")]
    public void UsageErrors_ExitCode2(params string[] args)
    {
        var (code, _, err, _) = Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("akkabroker: ", err, StringComparison.Ordinal);
        Assert.Contains("usage:", err, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingConfigFile_ExitCode2()
    {
        var (code, _, err, _) = Run("--config", "/nonexistent/x.conf");
        Assert.Equal(2, code);
        Assert.StartsWith("akkabroker: invalid configuration: cannot read /nonexistent/x.conf", err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void VersionAndPrintConfig_DoNotRunTheBroker()
    {
        var version = Run("--version");
        Assert.Equal(0, version.Code);
        Assert.StartsWith("akkabroker ", version.Out, StringComparison.Ordinal);
        Assert.Null(version.Ran);

        var print = Run("--config", SingleNode, "--print-config", "--set", "num.partitions=6");
        Assert.Equal(0, print.Code);
        Assert.Null(print.Ran);
        Assert.Contains("\nnum.partitions = 6\n", print.Out, StringComparison.Ordinal);
        Assert.Contains("\nprocess.roles = [\"broker\", \"controller\"]\n", print.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_RunsTheBrokerOrExits()
    {
        var ran = 0;
        var code = await BrokerStartup.RunAsync(["--config", SingleNode], TextWriter.Null, TextWriter.Null, _ =>
        {
            ran++;
            return Task.FromResult(7);
        });
        Assert.Equal((7, 1), (code, ran));
        code = await BrokerStartup.RunAsync(["--set", "node.id=x"], TextWriter.Null, TextWriter.Null, _ => Task.FromResult(7));
        Assert.Equal(2, code);
    }

    [Fact]
    public void IgnoredKeys_AreWarnedAbout()
    {
        var (code, _, err, _) = Run("--config", SingleNode, "--set", "akka.loglevel=DEBUG");
        Assert.Equal(0, code);
        Assert.Equal("akkabroker: warning: ignoring unknown configuration key 'akka.loglevel'" + Environment.NewLine, err);
    }

    /// <summary>The built executable, run as a process: a bad value exits 2 with one line naming the key.</summary>
    [Fact]
    public async Task Executable_BadSetting_ExitsTwoWithOneLine()
    {
        // The configuration the tests were built in (Release in CI), so the project reference built it.
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(RepoRoot(), "src", "Broker.Host", "bin", configuration, "net10.0", "akkabroker.dll");
        Assert.True(File.Exists(dll), $"build Broker.Host in {configuration} first: {dll}");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--set");
        psi.ArgumentList.Add("num.io.threads=abc");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(2, process.ExitCode);
        Assert.Equal("", await stdout);
        Assert.Equal("akkabroker: invalid configuration: num.io.threads: expected an int, got 'abc'\n", await stderr);
    }
}
