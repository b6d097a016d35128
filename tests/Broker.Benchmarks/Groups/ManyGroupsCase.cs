using System.Diagnostics;
using Broker.Protocol.Messages;

namespace Broker.Benchmarks.Groups;

/// <summary>
/// G groups (default 10,000) of 1..M members (sizes cycle 1, 2, 3): workers each own M connections
/// and form one group after another on them (member-id-required round trip, join, leader sync), so
/// every connection has one request in flight as a consumer's would. The groups stay alive (long
/// session timeout) for one heartbeat round over all members and the commit load.
/// </summary>
internal static class ManyGroupsCase
{
    public static async Task RunAsync(GroupBenchOptions o, Wire wire, ProcessSampler? broker, ProcessSampler client, GroupBenchReport report)
    {
        var connections = await GroupBench.ConnectAsync(o, o.Workers * o.MaxGroupMembers).ConfigureAwait(false);
        try
        {
            var groups = new BenchMember[o.Groups][];
            var subscription = ConsumerBytes.Subscription(o.CommitTopic);
            var assign = BenchMember.OnePartitionEach(o.CommitTopic);
            var perMember = new Latencies();
            var perGroup = new Latencies();
            var next = -1;
            var failures = 0;
            var slow = new List<(double StartedAt, double Ms, int Size)>();
            var b = broker?.Start();
            var c = client.Start();
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, o.Workers).Select(async w =>
            {
                int g;
                while ((g = Interlocked.Increment(ref next)) < o.Groups)
                {
                    var size = 1 + (g % o.MaxGroupMembers);
                    var members = Enumerable.Range(0, size)
                        .Select(i => new BenchMember(connections[(w * o.MaxGroupMembers) + i], wire, $"gbench-{g}", subscription, o.SessionTimeoutMs, o.RebalanceTimeoutMs))
                        .ToArray();
                    var t = Stopwatch.GetTimestamp();
                    try
                    {
                        var joined = wire.Join >= 4
                            ? await Task.WhenAll(members.Select(m => m.RequestMemberIdAsync())).ConfigureAwait(false)
                            : new JoinGroupResponse?[size];
                        await Task.WhenAll(members.Select((m, i) => m.JoinAndSyncAsync(assign, joined[i]))).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or Broker.Host.Network.Client.NodeConnectionException)
                    {
                        if (Interlocked.Increment(ref failures) <= 3)
                        {
                            report.Note($"group {g} failed: {ex.Message}");
                        }
                        continue;
                    }
                    perGroup.AddSince(t);
                    var took = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    if (took > 500)
                    {
                        lock (slow)
                        {
                            slow.Add((Stopwatch.GetElapsedTime(start, t).TotalSeconds, took, size));
                        }
                    }
                    foreach (var m in members)
                    {
                        perMember.Add(Stopwatch.GetElapsedTime(m.FirstJoinAt, m.SyncedAt).TotalMilliseconds);
                    }
                    groups[g] = members;
                }
            })).ConfigureAwait(false);
            var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var bu = broker?.Since(b!.Value);
            var cu = client.Since(c);
            var formed = groups.Where(g => g is not null).ToArray();
            if (slow.Count > 0)
            {
                // Where the tail comes from: when the slow groups started, and how big they were.
                report.Note($"{slow.Count} groups took over 500 ms to form; they started at {slow.Min(x => x.StartedAt):F2}..{slow.Max(x => x.StartedAt):F2} s " +
                    $"(median {slow.Select(x => x.StartedAt).Order().ElementAt(slow.Count / 2):F2} s) of {wall:F2} s; sizes " +
                    string.Join(",", slow.GroupBy(x => x.Size).OrderBy(x => x.Key).Select(x => $"{x.Key}:{x.Count()}")));
            }
            report.Row($"{o.Groups} groups of 1-{o.MaxGroupMembers}: JoinGroup+SyncGroup per member", perMember.Count, perMember, wall, perMember.Count / wall, bu, cu);
            report.Row($"{o.Groups} groups of 1-{o.MaxGroupMembers}: group formed (first join to last sync)", perGroup.Count, perGroup, wall, perGroup.Count / wall, bu, cu);
            report.Note($"{formed.Length} of {o.Groups} groups formed ({failures} failed) by {o.Workers} workers on {connections.Count} connections; " +
                $"{formed.Sum(g => g.Sum(m => m.Retries))} extra join/sync rounds");

            // One heartbeat from every member of every group, many in flight.
            var all = formed.SelectMany(g => g).ToArray();
            var heartbeats = new Latencies();
            var hbErrors = 0;
            b = broker?.Start();
            c = client.Start();
            start = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = o.Workers }, async (m, _) =>
            {
                var t = Stopwatch.GetTimestamp();
                if (await m.HeartbeatAsync().ConfigureAwait(false) != ErrorCode.None)
                {
                    Interlocked.Increment(ref hbErrors);
                }
                heartbeats.AddSince(t);
            }).ConfigureAwait(false);
            wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            report.Row($"{o.Groups} groups: one Heartbeat per member ({o.Workers} in flight)", heartbeats.Count, heartbeats, wall, heartbeats.Count / wall,
                broker?.Since(b!.Value), client.Since(c));
            if (hbErrors > 0)
            {
                report.Note($"{hbErrors} heartbeats answered an error");
            }

            await CommitLoad.RunAsync(o, wire, formed, 1, broker, client, report, warmUp: true).ConfigureAwait(false);
            await CommitLoad.RunAsync(o, wire, formed, 1, broker, client, report).ConfigureAwait(false);
            await CommitLoad.RunAsync(o, wire, formed, o.CommitPartitions, broker, client, report).ConfigureAwait(false);
        }
        finally
        {
            await GroupBench.DisposeAllAsync(connections).ConfigureAwait(false);
        }
    }
}
