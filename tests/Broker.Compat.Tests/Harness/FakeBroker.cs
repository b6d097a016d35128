using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Broker.Compat.Tests.Harness;

/// <summary>
/// tests/compat/tools/fake_broker.py under <see cref="BrokerProcess"/>: a listener that answers
/// ApiVersions, Metadata, Produce and InitProducerId by hand and records every request. It lets the
/// produce paths of the client scripts (and this harness) be checked before the real broker exists.
/// </summary>
public static class FakeBroker
{
    public static Task<BrokerProcess> StartAsync(int partitions = 1) =>
        BrokerProcess.StartAsync(b =>
        {
            var info = new ProcessStartInfo(RepoPaths.Python);
            info.ArgumentList.Add(Path.Combine(RepoPaths.ToolsDir, "fake_broker.py"));
            info.ArgumentList.Add("--port");
            info.ArgumentList.Add(b.Port.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add("--out");
            info.ArgumentList.Add(FramesDir(b));
            info.ArgumentList.Add("--partitions");
            info.ArgumentList.Add(partitions.ToString(CultureInfo.InvariantCulture));
            return info;
        }, TimeSpan.FromSeconds(30));

    public static string FramesDir(BrokerProcess broker) => Path.Combine(broker.DataDir, "frames");

    /// <summary>What the fake recorded, one JSON object per request (see fake_broker.py).</summary>
    public static IReadOnlyList<JsonElement> Frames(BrokerProcess broker)
    {
        var path = Path.Combine(FramesDir(broker), "frames.jsonl");
        if (!File.Exists(path))
        {
            return [];
        }
        return [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            return doc.RootElement.Clone();
        })];
    }
}
