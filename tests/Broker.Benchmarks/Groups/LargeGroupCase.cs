using System.Diagnostics;
using Broker.Host.Network.Client;
using Broker.Protocol.Messages;

namespace Broker.Benchmarks.Groups;

/// <summary>
/// One group of N members (default 1,000), each on its own connection as real consumers are: the
/// group forms (member-id-required round trip, the join that waits for all N, the leader's SyncGroup
/// carrying N assignments), heartbeats at the configured interval, then a newcomer joins and the
/// members find the rebalance through their heartbeats, rejoin and sync: the time until the last of
/// the N+1 has its new assignment is the rebalance time.
/// </summary>
internal static class LargeGroupCase
{
    private const string GroupId = "gbench-large";
    private const string Topic = "gbench-wide";

    public static async Task RunAsync(GroupBenchOptions o, Wire wire, ProcessSampler? broker, ProcessSampler client, GroupBenchReport report)
    {
        var connections = await GroupBench.ConnectAsync(o, o.Members + 1).ConfigureAwait(false);
        try
        {
            var subscription = ConsumerBytes.Subscription(Topic);
            var assign = BenchMember.OnePartitionEach(Topic);
            var members = connections.Take(o.Members)
                .Select(c => new BenchMember(c, wire, GroupId, subscription, o.SessionTimeoutMs, o.RebalanceTimeoutMs)).ToList();

            // Formation.
            var b = broker?.Start();
            var c = client.Start();
            var start = Stopwatch.GetTimestamp();
            var firstJoins = new Latencies();
            var joined = await Task.WhenAll(members.Select(async m =>
            {
                var t = Stopwatch.GetTimestamp();
                var answer = wire.Join >= 4 ? await m.RequestMemberIdAsync().ConfigureAwait(false) : null;
                firstJoins.AddSince(t);
                return answer;
            })).ConfigureAwait(false);
            await Task.WhenAll(members.Select((m, i) => m.JoinAndSyncAsync(assign, joined[i]))).ConfigureAwait(false);
            var formed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var perMember = new Latencies();
            foreach (var m in members)
            {
                perMember.Add(Stopwatch.GetElapsedTime(m.FirstJoinAt, m.SyncedAt).TotalMilliseconds);
            }
            Check(members, report);
            var idRequired = joined.Count(j => j is null);
            double At(long t) => Stopwatch.GetElapsedTime(start, t).TotalMilliseconds;
            var leader = members.Find(m => m.IsLeader)!;
            if (idRequired > 0)
            {
                report.Note($"formation timeline (ms from the first JoinGroup): member ids handed out by {members.Max(m => At(m.JoinSentAt)):F0} " +
                $"(second JoinGroups sent {members.Min(m => At(m.JoinSentAt)):F0}..{members.Max(m => At(m.JoinSentAt)):F0}); " +
                $"JoinGroup answered {members.Min(m => At(m.JoinedAt)):F0}..{members.Max(m => At(m.JoinedAt)):F0} (leader {At(leader.JoinedAt):F0}); " +
                $"leader's SyncGroup sent {At(leader.SyncSentAt):F0}; SyncGroup answered {members.Min(m => At(m.SyncedAt)):F0}..{members.Max(m => At(m.SyncedAt)):F0}");
            }
            var bu = broker?.Since(b!.Value);
            var cu = client.Since(c);
            if (idRequired > 0)
            {
                report.Row($"{o.Members}-member group: first JoinGroup (MEMBER_ID_REQUIRED)", firstJoins.Count, firstJoins, formed, null, bu, cu);
            }
            else
            {
                report.Note("no MEMBER_ID_REQUIRED round trip: the first JoinGroup was the real join");
            }
            report.Row($"{o.Members}-member group: JoinGroup+SyncGroup per member (formation)", perMember.Count, perMember, formed, null, bu, cu);
            report.Row($"{o.Members}-member group: formation, first join to last sync", 1, null, formed, null, bu, cu);
            report.Note($"{o.Members}-member group formed at generation {members[0].Generation}, {members.Sum(m => m.Retries)} extra join/sync rounds");

            // Heartbeats of a stable group.
            b = broker?.Start();
            c = client.Start();
            var heartbeats = new Latencies();
            var errors = 0;
            var deadline = Stopwatch.GetTimestamp() + (long)(o.HeartbeatSeconds * Stopwatch.Frequency);
            start = Stopwatch.GetTimestamp();
            await Task.WhenAll(members.Select(async (m, i) =>
            {
                await Task.Delay(i * o.HeartbeatIntervalMs / members.Count).ConfigureAwait(false);
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var t = Stopwatch.GetTimestamp();
                    if (await m.HeartbeatAsync().ConfigureAwait(false) != ErrorCode.None)
                    {
                        Interlocked.Increment(ref errors);
                    }
                    heartbeats.AddSince(t);
                    await Task.Delay(o.HeartbeatIntervalMs).ConfigureAwait(false);
                }
            })).ConfigureAwait(false);
            var hbWall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            report.Row($"{o.Members}-member group: Heartbeat every {o.HeartbeatIntervalMs} ms", heartbeats.Count, heartbeats, hbWall,
                heartbeats.Count / hbWall, broker?.Since(b!.Value), client.Since(c));
            if (errors > 0)
            {
                report.Note($"{errors} heartbeats of the stable group answered an error");
            }

            await RebalanceOnJoinAsync(o, wire, members, connections[o.Members], subscription, assign, broker, client, report).ConfigureAwait(false);
        }
        finally
        {
            await GroupBench.DisposeAllAsync(connections).ConfigureAwait(false);
        }
    }

    private static async Task RebalanceOnJoinAsync(GroupBenchOptions o, Wire wire, List<BenchMember> members, NodeConnection spare, byte[] subscription,
        Func<List<JoinGroupResponse.JoinGroupResponseMember>, List<SyncGroupRequest.SyncGroupRequestAssignment>> assign,
        ProcessSampler? broker, ProcessSampler client, GroupBenchReport report)
    {
        var b = broker?.Start();
        var c = client.Start();
        var oldGeneration = members[0].Generation;
        using var stop = new CancellationTokenSource();
        var detected = new long[members.Count];
        var rejoined = new Latencies();
        // Each member heartbeats as a consumer does and rejoins when told the group is rebalancing.
        var loops = members.Select(async (m, i) =>
        {
            await Task.Delay(i * o.HeartbeatIntervalMs / members.Count).ConfigureAwait(false);
            while (!stop.IsCancellationRequested)
            {
                var error = await m.HeartbeatAsync().ConfigureAwait(false);
                if (error is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration)
                {
                    var t = Stopwatch.GetTimestamp();
                    detected[i] = t;
                    await m.JoinAndSyncAsync(assign).ConfigureAwait(false);
                    rejoined.AddSince(t);
                }
                try
                {
                    await Task.Delay(o.HeartbeatIntervalMs, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }).ToList();
        await Task.Delay(o.HeartbeatIntervalMs).ConfigureAwait(false);

        var newcomer = new BenchMember(spare, wire, GroupId, subscription, o.SessionTimeoutMs, o.RebalanceTimeoutMs);
        var trigger = Stopwatch.GetTimestamp();
        var first = wire.Join >= 4 ? await newcomer.RequestMemberIdAsync().ConfigureAwait(false) : null;
        await newcomer.JoinAndSyncAsync(assign, first).ConfigureAwait(false);
        var all = members.Append(newcomer).ToList();
        var waitUntil = Stopwatch.GetTimestamp() + (long)(o.RebalanceTimeoutMs / 1000.0 * 2 * Stopwatch.Frequency);
        while (all.Any(m => m.Generation <= oldGeneration || m.SyncedAt < trigger) && Stopwatch.GetTimestamp() < waitUntil)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }
        var done = all.Max(m => m.SyncedAt);
        var stragglers = all.Count(m => m.Generation <= oldGeneration || m.SyncedAt < trigger);
        var rebalance = Stopwatch.GetElapsedTime(trigger, done).TotalSeconds;
        var lastDetected = detected.Where(d => d > 0).DefaultIfEmpty(trigger).Max();
        ProcessSampler.Usage? bu = broker is null ? null : broker.Since(b!.Value);
        var cu = client.Since(c);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(loops).ConfigureAwait(false);
        report.Row($"{o.Members}-member group: rebalance on a join, trigger to last sync (heartbeat {o.HeartbeatIntervalMs} ms)", 1, null, rebalance, null, bu, cu);
        report.Row($"{o.Members}-member group: rejoin+sync after a heartbeat said REBALANCE_IN_PROGRESS", rejoined.Count, rejoined, rebalance, null, bu, cu);
        report.Row($"{o.Members}-member group: last member rejoining to last sync (the coordinator's part)", 1, null,
            Stopwatch.GetElapsedTime(lastDetected, done).TotalSeconds, null, bu, cu);
        report.Note($"rebalance on a join: last member learned of it {Stopwatch.GetElapsedTime(trigger, lastDetected).TotalMilliseconds:F0} ms after the trigger; " +
            $"generation {oldGeneration} -> {newcomer.Generation}; {stragglers} member(s) not in the new generation");
        Check(all, report);
    }

    /// <summary>One generation, one leader, every member an assignment of its own.</summary>
    private static void Check(List<BenchMember> members, GroupBenchReport report)
    {
        var generations = members.Select(m => m.Generation).Distinct().Count();
        var leaders = members.Count(m => m.IsLeader);
        var distinct = members.Select(m => Convert.ToBase64String(m.Assignment.Span)).Distinct().Count();
        if (generations != 1 || leaders != 1 || distinct != members.Count || members.Any(m => m.Assignment.IsEmpty))
        {
            report.Note($"CHECK FAILED: {generations} generations, {leaders} leaders, {distinct} distinct assignments for {members.Count} members");
        }
    }
}
