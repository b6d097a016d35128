using Broker.Actors.Tests.Raft.Simulation;
using Xunit.Abstractions;

namespace Broker.Actors.Tests.Raft;

/// <summary>
/// The Raft simulation with the controller on every node (<see cref="ClusterSimulationControllers"/>):
/// simulated brokers register, heartbeat, die and ask for topics, ISR changes and producer ids while the
/// cluster suffers the same chaos; <see cref="ControllerInvariants"/> check every committed batch and
/// every node's image after every step. Replay a failed seed with
/// RAFT_SEED=n RAFT_NODES=3 dotnet test tests/Broker.Actors.Tests -c Release --filter FullyQualifiedName~ControllerSimulationTests
/// (RAFT_TRACE=1 prints every message); RAFT_SEEDS=n runs more seeds.
/// </summary>
public sealed class ControllerSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void ThreeNodeControllerKeepsItsInvariantsUnderChaos() =>
        RaftSimulationTests.RunSeeds(output, nodes: 3, defaultSeeds: 1000, firstSeed: 2_000_001, controllers: true);

    [Fact]
    public void FiveNodeControllerKeepsItsInvariantsUnderChaos() =>
        RaftSimulationTests.RunSeeds(output, nodes: 5, defaultSeeds: 1000, firstSeed: 3_000_001, controllers: true);

    [Fact]
    public void SameSeedReplaysExactly()
    {
        for (var seed = 7; seed < 10; seed++)
        {
            var first = new ClusterSimulation(seed, 3, controllers: true).Run();
            var second = new ClusterSimulation(seed, 3, controllers: true).Run();
            Assert.Equal(first, second);
            Assert.True(first.ControllerBatches > 0, $"seed {seed} committed no controller batch");
        }
    }
}
