using System.Diagnostics;
using Broker.Protocol.Messages;

namespace Broker.Benchmarks.Groups;

/// <summary>
/// OffsetCommit throughput against live groups: <c>--commit-concurrency</c> loops, each on its own
/// member's connection, commit for group after group (round robin over all of them) with the
/// member's generation and id, for <c>--commit-seconds</c>. A commit is answered once its records
/// are in __consumer_offsets.
/// </summary>
internal static class CommitLoad
{
    public static async Task RunAsync(GroupBenchOptions o, Wire wire, BenchMember[][] groups, int partitionsPerCommit,
        ProcessSampler? broker, ProcessSampler client, GroupBenchReport report, bool warmUp = false)
    {
        var latencies = new Latencies();
        long commits = 0, partitionErrors = 0, next = -1;
        ErrorCode? firstError = null;
        // Distinct connections: a broker serves one request of a connection at a time.
        var senders = groups.SelectMany(g => g).Select(m => m.Connection).Distinct().Take(o.CommitConcurrency).ToArray();
        var b = broker?.Start();
        var c = client.Start();
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)((warmUp ? 2 : o.CommitSeconds) * Stopwatch.Frequency);
        await Task.WhenAll(senders.Select(async connection =>
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var n = Interlocked.Increment(ref next);
                var member = groups[n % groups.Length][0];
                var topic = new OffsetCommitRequest.OffsetCommitRequestTopic { Name = o.CommitTopic };
                for (var p = 0; p < partitionsPerCommit; p++)
                {
                    topic.Partitions.Add(new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = p, CommittedOffset = n, CommittedMetadata = string.Empty });
                }
                var commit = new OffsetCommitRequest
                {
                    GroupId = member.GroupId,
                    GenerationIdOrMemberEpoch = member.Generation,
                    MemberId = member.MemberId,
                    Topics = [topic],
                };
                var t = Stopwatch.GetTimestamp();
                var response = await connection.SendAsync<OffsetCommitResponse>(commit, wire.Commit, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
                latencies.AddSince(t);
                Interlocked.Increment(ref commits);
                foreach (var error in response.Topics.SelectMany(t => t.Partitions).Where(p => p.ErrorCode != 0).Select(p => (ErrorCode)p.ErrorCode))
                {
                    Interlocked.Increment(ref partitionErrors);
                    firstError ??= error;
                }
            }
        })).ConfigureAwait(false);
        var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (warmUp)
        {
            return; // JIT and the first appends to each __consumer_offsets partition are not the steady state
        }
        report.Row($"OffsetCommit, {partitionsPerCommit} partition(s) per commit, {senders.Length} connections, {groups.Length} groups", (int)commits, latencies, wall,
            commits / wall, broker?.Since(b!.Value), client.Since(c));
        report.Note($"{partitionsPerCommit} partition(s) per commit: {commits / wall * partitionsPerCommit:F0} partition offsets/s" +
            (partitionErrors > 0 ? $"; {partitionErrors} partition errors, first {firstError}" : string.Empty));
    }
}
