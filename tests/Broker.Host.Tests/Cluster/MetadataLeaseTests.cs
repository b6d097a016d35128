using Broker.Actors.Metadata;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// A leader that goes silent long enough to be fenced (its heartbeats lost, its image no longer following the metadata
/// log: what a paused process looks like once it runs again) must not send clients back to itself from its stale image:
/// its metadata lease has expired, so its Metadata answers stop naming it leader and it refuses produces; the controller
/// unfences it only once it has applied the batch that fenced it, and from then on it answers with the new leader.
/// </summary>
public sealed class MetadataLeaseTests
{
    private const string Topic = "lease";

    private static async Task<MetadataResponse.MetadataResponsePartition> PartitionAsync(WireClient client)
    {
        var metadata = await client.SendAsync<MetadataResponse>(new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = Topic }] }, 12);
        return Assert.Single(Assert.Single(metadata.Topics).Partitions);
    }

    [Fact]
    public async Task A_deposed_leader_with_a_stale_image_names_no_leader_refuses_produce_and_rejoins_only_once_caught_up()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        using (var admin = await cluster.ConnectAsync(1))
        {
            await ReplicationClient.CreateTopicAsync(admin, Topic, [2, 1, 3]);
        }
        await cluster.WaitForTopicAsync(Topic);
        var node2 = cluster.Node(2);
        await Eventually.TrueAsync(() => node2.Replicas.Get(Topic, 0)?.State is { IsLeader: true, LeaderId: 2 }, "node 2 leads");
        using var client = await cluster.ConnectAsync(2);
        Assert.Equal(2, (await PartitionAsync(client)).LeaderId);

        // Node 2 goes silent: its heartbeats are lost and its image stops following the log, as while SIGSTOPped.
        cluster.Quorum.HoldDelivery(2, hold: true);
        node2.Lifecycle!.HoldHeartbeats = true;
        MetadataImage Controller() => cluster.Node(1).MetadataPublisher.Current;
        await Eventually.TrueAsync(() => Controller().Brokers[2].Fenced && Controller().Topic(Topic)!.Partitions[0].Leader is 1 or 3,
            "the controller fenced node 2 and moved its leadership", TimeSpan.FromSeconds(60));
        var newLeader = Controller().Topic(Topic)!.Partitions[0];
        Assert.Equal(2, node2.MetadataPublisher.Current.Topic(Topic)!.Partitions[0].Leader); // its own image is stale
        await Eventually.TrueAsync(() => !node2.MetadataLease.IsValid, "node 2's metadata lease expired");

        // Its answers no longer name it leader (after a bounded wait for a renewal that cannot come), and acks=1 is refused.
        var stale = await PartitionAsync(client);
        Assert.Equal(-1, stale.LeaderId);
        Assert.Equal((short)ErrorCode.LeaderNotAvailable, stale.ErrorCode);
        var produced = await ReplicationClient.ProduceAsync(client, Topic, ReplicationClient.Batch(1, "stale"), acks: 1);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, produced.ErrorCode);

        // Heartbeats come through again but its image is still behind the fence: the controller keeps it fenced
        // (several 200 ms heartbeats answered meanwhile), so its lease is not renewed.
        node2.Lifecycle.HoldHeartbeats = false;
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.True(Controller().Brokers[2].Fenced, "unfenced before it applied the batch that fenced it");
        Assert.False(node2.MetadataLease.IsValid);
        Assert.Equal(-1, (await PartitionAsync(client)).LeaderId);

        // It catches up: unfenced, its lease renewed, and it tells clients where the leadership went.
        cluster.Quorum.HoldDelivery(2, hold: false);
        await Eventually.TrueAsync(() => node2.MetadataLease.IsValid && !Controller().Brokers[2].Fenced,
            "node 2 caught up, unfenced, lease renewed", TimeSpan.FromSeconds(60));
        var fresh = await PartitionAsync(client);
        Assert.Equal(newLeader.Leader, fresh.LeaderId);
        Assert.Equal(newLeader.LeaderEpoch, fresh.LeaderEpoch);
        Assert.Equal(0, fresh.ErrorCode);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower,
            (await ReplicationClient.ProduceAsync(client, Topic, ReplicationClient.Batch(1, "follower"), acks: 1)).ErrorCode);
    }
}
