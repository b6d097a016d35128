using Broker.Actors.Group;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Group;

/// <summary>
/// The shard region follows leadership as Kafka's onElection / onResignation: loads and unloads carry the
/// leader epoch and a stale one loses.
/// </summary>
public sealed class GroupCoordinatorLeadershipTests : ShardTestBase
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private ErrorCode Heartbeat(GroupCoordinator coordinator, string group)
    {
        var probe = CreateTestProbe();
        coordinator.Send(new Heartbeat(new HeartbeatRequest { GroupId = group, MemberId = "m" }, e => probe.Ref.Tell(e)));
        return probe.ExpectMsg<ErrorCode>(Wait);
    }

    [Fact]
    public async Task A_newer_epoch_wins_over_a_stale_load_or_unload()
    {
        var coordinator = new GroupCoordinator(Sys, Settings(), 1);
        var log = new MemoryOffsetsLog(0);
        coordinator.Load(log, 5);
        Assert.Equal(5, coordinator.LoadedEpoch(0));
        coordinator.Unload(0, 4); // resigned in an older epoch than the one we lead in
        coordinator.Unload(0, 5); // only a shard of an older epoch is unloaded
        coordinator.Load(log, 3);
        Assert.Equal(5, coordinator.LoadedEpoch(0));
        await coordinator.WhenLoadedAsync(Wait);
        Assert.Equal(ErrorCode.UnknownMemberId, Heartbeat(coordinator, "g"));

        coordinator.Unload(0, 6);
        Assert.False(coordinator.IsLoaded(0));
        Assert.Equal(ErrorCode.NotCoordinator, Heartbeat(coordinator, "g"));
        coordinator.Load(log, 5); // the election of epoch 5 arriving after the resignation of epoch 6
        Assert.False(coordinator.IsLoaded(0));

        coordinator.Load(log, 7);
        coordinator.Load(log, 9); // re-elected in a newer epoch without a resignation seen: reloaded
        Assert.Equal(9, coordinator.LoadedEpoch(0));
        await coordinator.WhenLoadedAsync(Wait);
        Assert.Equal(ErrorCode.UnknownMemberId, Heartbeat(coordinator, "g"));
        coordinator.Unload(0); // the replica is gone: no epoch, always unloads
        Assert.False(coordinator.IsLoaded(0));
    }
}
