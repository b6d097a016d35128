using System.Globalization;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.DataPath;

/// <summary>
/// An idempotent librdkafka producer (enable.idempotence=true, acks=all, 5 in flight) streams
/// through a proxy whose connections are reset again and again mid-stream. librdkafka retries the
/// lost requests with their original sequence numbers; the broker must hand duplicates their
/// original offsets instead of appending them again. The log then holds every value exactly once,
/// in order.
/// </summary>
public sealed class IdempotentProducerTests
{
    [Fact(Timeout = 180_000)]
    public async Task Cut_connections_cause_no_duplicates_no_gaps_and_keep_order()
    {
        await using var proxy = new CuttableProxy();
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["advertised.listeners"] = $"PLAINTEXT://127.0.0.1:{proxy.Port}" },
        });
        proxy.TargetPort = broker.Port;
        var admin = new ClientScripts(CompatClient.ConfluentKafka, broker.BootstrapServers, TimeSpan.FromSeconds(60));
        await admin.CreateTopicAsync("idem");

        const int count = 20_000;
        var producing = ClientRunner.PythonAsync("idempotent_producer.py",
            ["--bootstrap", $"127.0.0.1:{proxy.Port}", "--topic", "idem", "--count", I(count), "--per-second", "4000", "--timeout-ms", "90000"],
            TimeSpan.FromSeconds(150));
        var cuts = 0;
        while (!producing.IsCompleted)
        {
            await Task.WhenAny(producing, Task.Delay(700));
            cuts += proxy.Cut() > 0 ? 1 : 0;
        }
        var result = (await producing).EnsureSuccess();
        Assert.True(cuts >= 3, $"only {cuts} cuts hit live connections:\n{result}");

        var records = await new Kcat(broker.BootstrapServers, TimeSpan.FromSeconds(90)).ConsumeAsync("idem", 0, 0, count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i, records[i].Offset);
            Assert.Equal(I(i), records[i].Value);
        }
        // And nothing more than the count: the high watermark is exactly count.
        var latest = await admin.ListOffsetsAsync("idem", "latest");
        Assert.Equal(count, latest.Single().Offset);
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}
