using System.Diagnostics;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Smoke;

/// <summary>The process harness itself, driven with the fake broker and with processes that misbehave.</summary>
public sealed class BrokerProcessTests
{
    [Fact]
    public async Task Starts_listens_survives_kill9_and_restart_then_cleans_up()
    {
        string dataDir;
        await using (var broker = await FakeBroker.StartAsync())
        {
            dataDir = broker.DataDir;
            Assert.True(await FreePort.AcceptsAsync(broker.Port));
            Assert.False(broker.HasExited);

            await broker.Kill9Async();
            Assert.True(broker.HasExited);
            Assert.False(await FreePort.AcceptsAsync(broker.Port));

            await broker.RestartAsync();
            Assert.True(await FreePort.AcceptsAsync(broker.Port));
            Assert.Contains("start #2", broker.Output);
            Assert.Contains($"fake broker on 127.0.0.1:{broker.Port}", broker.Output);

            await broker.StopAsync(TimeSpan.FromSeconds(10));
            Assert.True(broker.HasExited);
            Assert.True(Directory.Exists(dataDir));
        }
        Assert.False(Directory.Exists(dataDir));
    }

    [Fact]
    public async Task A_process_that_exits_before_listening_fails_with_its_output()
    {
        var e = await Assert.ThrowsAsync<BrokerProcessException>(() => BrokerProcess.StartAsync(_ =>
        {
            var info = new ProcessStartInfo(RepoPaths.Python);
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("import sys; print('bad config: no such key'); sys.exit(3)");
            return info;
        }, TimeSpan.FromSeconds(30)));

        Assert.Contains("exited with code 3", e.Message);
        Assert.Contains("bad config: no such key", e.Message);
    }

    [Fact]
    public async Task A_client_that_hangs_is_killed_and_reported_with_its_output()
    {
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<TimeoutException>(() => ClientRunner.RunAsync(
            RepoPaths.Python, ["-c", "import time; print('connecting', flush=True); time.sleep(600)"], TimeSpan.FromSeconds(2)));

        Assert.Contains("connecting", e.Message);
        Assert.Contains("within 2s", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"took {sw.Elapsed}");
    }
}
