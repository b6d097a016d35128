using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Broker.Actors.Tests.Raft.Simulation;
using Xunit.Abstractions;

namespace Broker.Actors.Tests.Raft;

/// <summary>
/// Thousands of seeded cluster runs per test (see <see cref="ClusterSimulation"/>). A failure names its
/// seed and step; replay one seed exactly with RAFT_SEED=n (and RAFT_TRACE=1 to print every message).
/// RAFT_SEEDS=n changes how many seeds run, RAFT_SEED_START=n where they start (for longer soaks).
/// The default counts keep the simulations (these and <see cref="ControllerSimulationTests"/>, which runs
/// the same Raft chaos under the controller) within a few minutes on two busy cores.
/// </summary>
public sealed class RaftSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void ThreeNodeClusterKeepsItsInvariantsUnderChaos() => RunSeeds(nodes: 3, defaultSeeds: 2000, firstSeed: 1);

    [Fact]
    public void FiveNodeClusterKeepsItsInvariantsUnderChaos() => RunSeeds(nodes: 5, defaultSeeds: 1000, firstSeed: 1_000_001);

    [Fact]
    public void SameSeedReplaysExactly()
    {
        for (var seed = 7; seed < 12; seed++)
        {
            var first = new ClusterSimulation(seed, 3).Run();
            var second = new ClusterSimulation(seed, 3).Run();
            Assert.Equal(first, second);
        }
    }

    private void RunSeeds(int nodes, int defaultSeeds, int firstSeed) => RunSeeds(output, nodes, defaultSeeds, firstSeed, controllers: false);

    /// <summary>Runs the seeds in parallel (or the one RAFT_SEED names), reports seeds/s, fails naming every failed seed.</summary>
    internal static void RunSeeds(ITestOutputHelper output, int nodes, int defaultSeeds, int firstSeed, bool controllers)
    {
        var replay = Environment.GetEnvironmentVariable("RAFT_SEED");
        if (!string.IsNullOrEmpty(replay))
        {
            var requestedNodes = Environment.GetEnvironmentVariable("RAFT_NODES");
            if (!string.IsNullOrEmpty(requestedNodes) && int.Parse(requestedNodes, CultureInfo.InvariantCulture) != nodes)
            {
                return;
            }
            var trace = Environment.GetEnvironmentVariable("RAFT_TRACE") == "1";
            var result = new ClusterSimulation(int.Parse(replay, CultureInfo.InvariantCulture), nodes, trace, controllers).Run();
            output.WriteLine($"seed {replay}: {result}");
            Console.WriteLine($"seed {replay} nodes {nodes}: {result}");
            return;
        }
        if (int.TryParse(Environment.GetEnvironmentVariable("RAFT_SEED_START"), CultureInfo.InvariantCulture, out var start))
        {
            firstSeed = start;
        }
        var count = int.TryParse(Environment.GetEnvironmentVariable("RAFT_SEEDS"), CultureInfo.InvariantCulture, out var n) ? n : defaultSeeds;
        var failures = new ConcurrentBag<(int Seed, string Message)>();
        long steps = 0, committed = 0, crashes = 0, snapshots = 0, simulatedMs = 0, epochs = 0, batches = 0, changes = 0, fencings = 0, blocks = 0, leases = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(firstSeed, firstSeed + count, seed =>
        {
            try
            {
                var result = new ClusterSimulation(seed, nodes, controllers: controllers).Run();
                Interlocked.Add(ref steps, result.Steps);
                Interlocked.Add(ref committed, result.Committed);
                Interlocked.Add(ref crashes, result.Crashes);
                Interlocked.Add(ref snapshots, result.SnapshotsInstalled);
                Interlocked.Add(ref simulatedMs, result.SimulatedMs);
                Interlocked.Add(ref epochs, result.LeaderEpochs);
                Interlocked.Add(ref batches, result.ControllerBatches);
                Interlocked.Add(ref changes, result.PartitionChanges);
                Interlocked.Add(ref fencings, result.Fencings);
                Interlocked.Add(ref blocks, result.ProducerIdBlocks);
                Interlocked.Add(ref leases, result.LeaseHolders);
            }
            catch (SimulationFailure failure)
            {
                failures.Add((seed, failure.Message));
            }
        });
        clock.Stop();
        output.WriteLine($"{nodes} nodes: {count} seeds in {clock.Elapsed.TotalSeconds:F1} s ({count / clock.Elapsed.TotalSeconds:F0} seeds/s); " +
                         $"{steps} steps, {simulatedMs / 1000} simulated s, {committed} committed entries, {epochs} leader epochs, " +
                         $"{crashes} crashes, {snapshots} snapshot loads, {leases} leader leases checked" +
                         (controllers ? $"; controller: {batches} batches, {changes} partition changes, {fencings} fencings, {blocks} producer id blocks" : ""));
        if (!failures.IsEmpty)
        {
            var sorted = failures.OrderBy(f => f.Seed).ToList();
            Assert.Fail($"{sorted.Count} of {count} seeds failed; first: {sorted[0].Message}\nfailing seeds: {string.Join(", ", sorted.Take(20).Select(f => f.Seed))}");
        }
        // The lease invariant holds vacuously if no lease is ever held: half the runs (pre-vote) must see some.
        Assert.True(count < 20 || leases > 0, "no run held a leader lease while the lease invariant was checked");
    }
}
