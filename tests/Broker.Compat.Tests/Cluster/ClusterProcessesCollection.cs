namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// The tests that run whole multi-process clusters under a streaming producer: run alone, after the parallel
/// collections, so two clusters never share the CI machine's 2 cores with each other or with other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterProcessesCollection
{
    public const string Name = "multi-process clusters";
}
