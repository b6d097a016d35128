using System.Diagnostics;
using Broker.Actors.Partition;
using Broker.Host.Network.Client;
using Broker.Host.Replication;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging.Abstractions;
using static Broker.Host.Tests.Cluster.ReplicationClient;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// A follower's fetch loop against a real leader (node 1 of two in-process nodes), over the wire: a replica
/// stopped (its topic deleted, moved away) while a fetch for it is in flight never answers the batches handed to
/// it, and the round must not wait for it: every other partition fetched from that leader would stall with it.
/// </summary>
public sealed class ReplicaFetcherTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_replica_stopped_while_its_fetch_is_in_flight_holds_up_neither_the_other_partitions_nor_the_shutdown()
    {
        await using var cluster = await InProcessCluster.StartAsync(2);
        using var admin = await cluster.ConnectAsync(1);
        await CreateTopicAsync(admin, "stays", [1, 2]);
        await CreateTopicAsync(admin, "goes", [1, 2]);
        await cluster.WaitForTopicAsync("stays");
        await cluster.WaitForTopicAsync("goes");
        var follower = cluster.Node(2);
        // This test's own fetcher copies node 1's partitions to node 2's replicas; the node's fetcher stands aside
        // (a round of it still in flight drops its answer).
        follower.ReplicaFetchers!.Paused = true;
        var stays = follower.Replicas.Get("stays", 0)!;
        var goes = follower.Replicas.Get("goes", 0)!;

        await using var pool = new NodeConnectionPool("fetcher-test");
        var transport = new StopReplicaOnFetch(new NodeConnectionFetchTransport(pool, () => follower.Metadata.Current), goes);
        var settings = new ReplicaFetcherSettings(2, MaxWaitMs: 500, PartitionMaxBytes: 1 << 20, ResponseMaxBytes: 10 << 20, BackoffMs: 100);
        var fetcher = new ReplicaFetcher(1, transport, settings, NullLogger<ReplicaFetcher>.Instance);
        try
        {
            fetcher.Add(stays);
            fetcher.Add(goes);
            Assert.Equal(0, (await ProduceAsync(admin, "goes", Batch(5, "g"), acks: 1)).ErrorCode);
            await transport.Stopped.WaitAsync(TimeSpan.FromSeconds(30));

            // The round that carried goes' batches handed them to a stopped actor; the next rounds carry stays'.
            Assert.Equal(0, (await ProduceAsync(admin, "stays", Batch(3, "s"), acks: 1)).ErrorCode);
            await Eventually.TrueAsync(() => stays.Log?.LogEndOffset == 3, "node 2 copies stays past the stopped replica",
                TimeSpan.FromSeconds(10));
            Assert.Null(goes.Log);
        }
        finally
        {
            var disposing = Stopwatch.StartNew();
            await fetcher.DisposeAsync();
            Assert.True(disposing.Elapsed < TimeSpan.FromSeconds(10), $"the fetcher took {disposing.Elapsed} to stop");
        }
    }

    /// <summary>The real transport; once an answer holds records of <paramref name="victim"/>, its actor is stopped
    /// (as the replica manager stops a deleted replica) before the fetcher sees the answer.</summary>
    private sealed class StopReplicaOnFetch(IReplicaFetchTransport inner, PartitionHandle victim) : IReplicaFetchTransport
    {
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Stopped => _stopped.Task;

        public async Task<FetchResponse> FetchAsync(int brokerId, FetchRequest request, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var response = await inner.FetchAsync(brokerId, request, timeout, cancellationToken);
            var carriesVictim = response.Responses.Any(t => t.Topic == victim.TopicPartition.Topic
                && t.Partitions.Any(p => p.PartitionIndex == victim.TopicPartition.Partition && p.Records is { Length: > 0 }));
            if (carriesVictim && !_stopped.Task.IsCompleted)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                victim.Actor.Tell(new DeletePartition(done));
                await done.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                _stopped.TrySetResult();
            }
            return response;
        }
    }
}
