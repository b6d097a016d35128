using System.Globalization;

namespace Broker.Benchmarks.Groups;

/// <summary>Command line of the <c>groups</c> mode (see <see cref="GroupBench"/>).</summary>
internal sealed record GroupBenchOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 9092;
    public int BrokerPid { get; init; }
    public string Case { get; init; } = "all";
    public string Label { get; init; } = "akkabroker";
    public int Members { get; init; } = 1000;
    public int Groups { get; init; } = 10_000;
    public int MaxGroupMembers { get; init; } = 3;
    public int Workers { get; init; } = 200;
    public int HeartbeatIntervalMs { get; init; } = 1000;
    public int HeartbeatSeconds { get; init; } = 10;
    public int CommitSeconds { get; init; } = 10;
    public int CommitConcurrency { get; init; } = 64;
    public int CommitPartitions { get; init; } = 8;
    public int SessionTimeoutMs { get; init; } = 300_000;
    public int RebalanceTimeoutMs { get; init; } = 120_000;
    public string CommitTopic { get; init; } = "gbench-commits";
    public int LeaderSyncDelayMs { get; init; }

    public static GroupBenchOptions Parse(string[] args)
    {
        var o = new GroupBenchOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            int N() => int.Parse(v, CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--bootstrap" => o with { Host = v[..v.LastIndexOf(':')], Port = int.Parse(v[(v.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture) },
                "--broker-pid" => o with { BrokerPid = N() },
                "--case" => o with { Case = v },
                "--label" => o with { Label = v },
                "--members" => o with { Members = N() },
                "--groups" => o with { Groups = N() },
                "--max-group-members" => o with { MaxGroupMembers = N() },
                "--workers" => o with { Workers = N() },
                "--hb-interval-ms" => o with { HeartbeatIntervalMs = N() },
                "--hb-seconds" => o with { HeartbeatSeconds = N() },
                "--commit-seconds" => o with { CommitSeconds = N() },
                "--commit-concurrency" => o with { CommitConcurrency = N() },
                "--commit-partitions" => o with { CommitPartitions = N() },
                "--session-timeout-ms" => o with { SessionTimeoutMs = N() },
                "--commit-topic" => o with { CommitTopic = v },
                "--leader-sync-delay-ms" => o with { LeaderSyncDelayMs = N() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}
