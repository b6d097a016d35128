using Broker.Actors.Metadata;
using Broker.Ctl;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Host.Tests.Management;

/// <summary>Runs brokerctl's entry point in-process against a real node's management endpoint.</summary>
public sealed class BrokerCtlTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ctl-" + Guid.NewGuid().ToString("N"));
    private BrokerNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await BrokerNode.StartAsync(ManagementServerTests.Settings(_dir), NullLoggerFactory.Instance);
        var results = await _node.Controller.CreateTopicsAsync(
            [new NewTopic("payments", 2, 1, new Dictionary<string, string?>())], validateOnly: false);
        Assert.All(results, r => Assert.Equal(0, (int)r.ErrorCode));
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await BrokerCtl.RunAsync(["--url", $"http://127.0.0.1:{_node.ManagementPort}", .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Row(string output, string firstCell) =>
        output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(c => c.Length > 0 && c[0] == firstCell);

    [Fact]
    public async Task Cluster_show_lists_the_node_roles_status_and_controller()
    {
        var (code, output, err) = await RunAsync("cluster", "show");
        Assert.True(code == 0, err);
        Assert.Contains("controller leader 1  epoch 1", output, StringComparison.Ordinal);
        var row = Row(output, "1");
        Assert.Equal(["1", "127.0.0.1", _node.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-", "broker,controller", "up", "(self)"], row);
    }

    [Fact]
    public async Task Topics_lists_each_partition_with_leader_and_offsets()
    {
        var (code, output, err) = await RunAsync("topics");
        Assert.True(code == 0, err);
        var rows = output.Split('\n').Where(l => l.StartsWith("payments", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Equal(["payments", "0", "1"], rows[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]);
    }

    [Fact]
    public async Task Region_stats_counts_the_topic_partitions()
    {
        var (code, output, err) = await RunAsync("cluster", "region-stats");
        Assert.True(code == 0, err);
        Assert.Equal(["1", "2", "2"], Row(output, "1"));
    }

    [Fact]
    public async Task Leave_fails_with_the_servers_reason_when_state_changes_are_off()
    {
        var (code, output, err) = await RunAsync("cluster", "leave", "1");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains("403", err, StringComparison.Ordinal);
        Assert.Contains("management.http.allow-state-changes", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_usage_and_unreachable_broker_exit_non_zero()
    {
        var (code, _, err) = await RunAsync("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("unknown command 'frobnicate'", err, StringComparison.Ordinal);

        (code, _, err) = await RunAsync("cluster", "down", "x");
        Assert.Equal(2, code);
        Assert.Contains("not a number", err, StringComparison.Ordinal);

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        // Port 1 on loopback: nothing listens there, so the connection is refused.
        code = await BrokerCtl.RunAsync(["--url", "http://127.0.0.1:1", "cluster", "show"], stdout, stderr);
        Assert.Equal(1, code);
        Assert.Contains("cannot reach", stderr.ToString(), StringComparison.Ordinal);
    }
}
