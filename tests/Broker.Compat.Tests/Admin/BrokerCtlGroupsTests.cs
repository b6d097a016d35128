using System.Diagnostics;
using System.Text.Json;
using Broker.Compat.Tests.Harness;
using Broker.Ctl;

namespace Broker.Compat.Tests.Admin;

/// <summary>
/// brokerctl groups against a real broker process and a live confluent-kafka group member: the group
/// lists with its coordinator, and describe shows the member, its decoded assignment and per-partition
/// committed offset, log end and lag (log end minus committed), as GET /groups/{id} reports them.
/// </summary>
public sealed class BrokerCtlGroupsTests
{
    [Fact(Timeout = 180_000)]
    public async Task Groups_list_and_describe_show_members_assignments_and_lag()
    {
        var managementPort = FreePort.Next();
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string>
            {
                ["management.http.listener"] = $"127.0.0.1:{managementPort}",
                ["group.initial.rebalance.delay.ms"] = "0",
            },
        });
        var info = new ProcessStartInfo(RepoPaths.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        foreach (var a in new[] { Path.Combine(RepoPaths.PythonDir, "group_holder.py"), broker.BootstrapServers, "ctl-lag", "ctl-group" })
        {
            info.ArgumentList.Add(a);
        }
        using var holder = Process.Start(info)!;
        var stderr = holder.StandardError.ReadToEndAsync();
        try
        {
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var line = await holder.StandardOutput.ReadLineAsync(ready.Token);
            if (line is null)
            {
                Assert.Fail($"group holder exited: {await stderr}"); // only awaited once it has exited
            }
            Assert.True(JsonDocument.Parse(line).RootElement.GetProperty("ready").GetBoolean());

            var url = $"http://127.0.0.1:{managementPort}";
            var (code, list, err) = await CtlAsync(url, "groups");
            Assert.True(code == 0, err);
            var row = Rows(list).Single(r => r[0] == "ctl-group");
            Assert.Equal(["ctl-group", "consumer", "Stable", "1"], row);

            (code, var described, err) = await CtlAsync(url, "groups", "describe", "ctl-group");
            Assert.True(code == 0, err + described);
            Assert.Contains("state Stable", described, StringComparison.Ordinal);
            Assert.Contains("total lag 9", described, StringComparison.Ordinal);
            // librdkafka's member ids start with its client.id.
            var memberRow = Rows(described).Single(r => r[0].StartsWith("holder-", StringComparison.Ordinal));
            var member = memberRow[0];
            Assert.Equal("ctl-lag:0,1", memberRow[^1]);
            // 10 records per partition; committed 7 and 4.
            Assert.Equal(["ctl-lag", "0", "7", "10", "3", member], Rows(described).Single(r => r is ["ctl-lag", "0", ..]));
            Assert.Equal(["ctl-lag", "1", "4", "10", "6", member], Rows(described).Single(r => r is ["ctl-lag", "1", ..]));

            (code, _, err) = await CtlAsync(url, "groups", "describe", "no-such-group");
            Assert.Equal(1, code);
            Assert.Contains("404", err, StringComparison.Ordinal);
        }
        finally
        {
            holder.StandardInput.Close();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await holder.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                holder.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<(int Code, string Out, string Err)> CtlAsync(string url, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await BrokerCtl.RunAsync(["--url", url, .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static List<string[]> Rows(string output) =>
        [.. output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(c => c.Length > 0)];
}
