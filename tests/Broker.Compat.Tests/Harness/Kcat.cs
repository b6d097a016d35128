using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Broker.Compat.Tests.Harness;

/// <summary>
/// kcat (librdkafka) command lines for producing and consuming. kcat sets the same headers on every
/// record it sends, so kcat's records carry client=kcat rather than a per-record index.
/// </summary>
public sealed class Kcat(string bootstrapServers, TimeSpan? timeout = null)
{
    public const string Codecs = "none, gzip, snappy, lz4, zstd";

    /// <summary>kcat -P: records start..start+count-1 as key-i:value-i lines on stdin.</summary>
    public async Task ProduceAsync(string topic, int count, int start = 0, int? partition = null, string codec = "none", string prefix = "")
    {
        var input = new StringBuilder();
        for (var i = start; i < start + count; i++)
        {
            input.Append(CultureInfo.InvariantCulture, $"{prefix}key-{i}:{prefix}value-{i}\n");
        }
        var args = new List<string>
        {
            "-P", "-b", bootstrapServers, "-t", topic, "-K:", "-H", "client=kcat", "-z", codec,
            "-X", "acks=all", "-X", "linger.ms=5",
        };
        if (partition is { } p)
        {
            args.AddRange(["-p", p.ToString(CultureInfo.InvariantCulture)]);
        }
        (await ClientRunner.KcatAsync(args, input.ToString(), timeout)).EnsureSuccess();
    }

    /// <summary>kcat -C -J: <paramref name="count"/> records of one partition from <paramref name="offset"/>; fails if the partition ends first.</summary>
    public async Task<IReadOnlyList<ClientRecord>> ConsumeAsync(string topic, int partition, long offset, int count)
    {
        string[] args =
        [
            "-C", "-b", bootstrapServers, "-t", topic, "-p", partition.ToString(CultureInfo.InvariantCulture),
            "-o", offset.ToString(CultureInfo.InvariantCulture), "-c", count.ToString(CultureInfo.InvariantCulture), "-e", "-J",
        ];
        var result = (await ClientRunner.KcatAsync(args, timeout: timeout)).EnsureSuccess();
        var records = result.JsonLines().Select(ParseRecord).ToList();
        return records.Count == count
            ? records
            : throw new ClientFailedException($"kcat read {records.Count} of {count} records:\n{result}");
    }

    private static ClientRecord ParseRecord(JsonElement j)
    {
        var headers = new Dictionary<string, string?>();
        if (j.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Array)
        {
            // kcat writes headers as a flat [name, value, name, value, ...] array.
            var items = h.EnumerateArray().ToList();
            for (var i = 0; i + 1 < items.Count; i += 2)
            {
                headers[items[i].GetString()!] = items[i + 1].GetString();
            }
        }
        return new ClientRecord(
            j.GetProperty("partition").GetInt32(),
            j.GetProperty("offset").GetInt64(),
            j.TryGetProperty("ts", out var ts) ? ts.GetInt64() : -1,
            j.GetProperty("key").GetString(),
            j.GetProperty("payload").GetString(),
            headers);
    }
}
