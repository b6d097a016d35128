using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// deploy/cluster.sh drives real processes: start, status, kill -9, restart, pause/resume and stop do
/// what they say to the node processes; deploy/validate.sh's checks of the container, Kubernetes and
/// systemd files pass.
/// </summary>
public sealed class DeployScriptTests
{
    [Fact(Timeout = 240_000)]
    public async Task Cluster_script_starts_kills_restarts_pauses_and_stops_nodes()
    {
        string[] pids;
        await using (var cluster = await LocalCluster.StartAsync(3))
        {
            for (var n = 1; n <= 3; n++)
            {
                Assert.True(cluster.IsRunning(n), $"node {n} not running:\n{cluster.Logs()}");
                Assert.True(await FreePort.AcceptsAsync(cluster.KafkaPort(n)), $"node {n} does not listen:\n{cluster.Logs()}");
                var conf = File.ReadAllText(Path.Combine(cluster.NodeDir(n), "node.conf"));
                Assert.Contains($"node.id = {n}", conf, StringComparison.Ordinal);
                Assert.Contains($"controller.quorum.voters = \"1@127.0.0.1:{cluster.ControllerPort(1)},2@127.0.0.1:{cluster.ControllerPort(2)},3@127.0.0.1:{cluster.ControllerPort(3)}\"", conf, StringComparison.Ordinal);
            }
            Assert.Equal(3, StatusRows(await cluster.StatusAsync(), "running"));

            var killed = cluster.Pid(2)!.Value;
            await cluster.KillAsync(2);
            Assert.False(cluster.IsRunning(2));
            Assert.False(ProcessExists(killed), $"pid {killed} survived kill -9");
            Assert.Equal(1, StatusRows(await cluster.StatusAsync(), "stopped"));

            await cluster.RestartAsync(2);
            Assert.True(cluster.IsRunning(2));
            Assert.NotEqual(killed, cluster.Pid(2));
            Assert.True(await FreePort.AcceptsAsync(cluster.KafkaPort(2)));

            await cluster.PauseAsync(3);
            Assert.Equal(1, StatusRows(await cluster.StatusAsync(), "paused"));
            await cluster.ResumeAsync(3);
            Assert.Equal(3, StatusRows(await cluster.StatusAsync(), "running"));

            // A second start on a running cluster's folder is refused, not doubled.
            var again = await cluster.RunScriptAsync(["start", "3", "--base-port", cluster.BasePort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-build"]);
            Assert.False(again.Succeeded);

            pids = [.. Enumerable.Range(1, 3).Select(n => cluster.Pid(n)!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))];
            var stop = await cluster.RunScriptAsync(["stop"]);
            Assert.True(stop.Succeeded, stop.ToString());
            Assert.Equal(3, StatusRows(await cluster.StatusAsync(), "stopped"));
            // Graceful: each node logged its stop.
            for (var n = 1; n <= 3; n++)
            {
                Assert.Contains($"node {n} stopped", File.ReadAllText(Path.Combine(cluster.NodeDir(n), "node.log")), StringComparison.Ordinal);
            }
        }
        Assert.All(pids, p => Assert.False(ProcessExists(int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact(Timeout = 120_000)]
    public async Task Validate_script_passes_on_the_deploy_files()
    {
        var result = await ClientRunner.RunAsync("bash", [Path.Combine(RepoPaths.Root, "deploy", "validate.sh")], TimeSpan.FromSeconds(100),
            environment: new Dictionary<string, string> { ["AKKABROKER_DLL"] = RepoPaths.BrokerDll, ["PYTHON"] = RepoPaths.Python });
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("all deploy checks passed", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", result.Stdout, StringComparison.Ordinal);
    }

    private static int StatusRows(string status, string state) =>
        status.Split('\n').Skip(1).Count(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var s, ..] && s == state);

    private static bool ProcessExists(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
