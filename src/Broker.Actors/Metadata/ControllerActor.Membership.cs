using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Metadata;

/// <summary>
/// Membership changes asked for by an operator (Akka's "leave" and "down", <c>brokerctl cluster leave|down</c>):
/// <list type="bullet">
/// <item><b>leave</b> (ControlledShutdown, 7): the controlled shutdown a SIGTERM'd broker asks for, started by the
/// controller. The broker is marked in controlled shutdown and its leaderships (and ISR memberships) move away at
/// once (<see cref="PartitionLeaderElection.BrokerLeaving"/>); its next heartbeat is answered ShouldShutDown, so it
/// runs its normal graceful shutdown (WantShutDown heartbeats, fenced, exit 0: <see cref="ControllerDecisions.Heartbeat"/>).</item>
/// <item><b>down</b> (UnregisterBroker, 64): the broker is declared dead now: fenced with its leaderships moved
/// within the ISR, the same batch a missed session writes (<see cref="HandleFenceExpired"/>). Its registration's
/// epoch is refused from then on (STALE_BROKER_EPOCH), so a downed process that is still alive must register again
/// (fenced, unfenced once caught up) before it leads anything. Kept in this controller's memory only: after a
/// failover a downed live broker is treated as one fenced by its session (unfenced once its image is past the fence).</item>
/// </list>
/// Neither may take away the last broker that can lead.
/// </summary>
internal sealed partial class ControllerActor
{
    /// <summary>Ask <paramref name="BrokerId"/> to leave (<paramref name="BrokerEpoch"/> -1: whatever registration is current).</summary>
    internal sealed record LeaveBroker(int BrokerId, long BrokerEpoch) : IHandledCommand
    {
        public ControllerResult Handle(ControllerActor controller) => controller.HandleLeaveBroker(this);
    }

    internal sealed record DownBroker(int BrokerId) : IHandledCommand
    {
        public ControllerResult Handle(ControllerActor controller) => controller.HandleDownBroker(this);
    }

    /// <summary>Downed registrations (broker id -> broker epoch) whose heartbeats are refused.</summary>
    private readonly Dictionary<int, long> _downed = [];

    private ControllerResult HandleLeaveBroker(LeaveBroker m)
    {
        if (Refuse(m.BrokerId, "leave") is { } refused)
        {
            return ControllerResult.Of(refused, []);
        }
        var broker = Image.Brokers[m.BrokerId];
        if (m.BrokerEpoch >= 0 && m.BrokerEpoch != broker.BrokerEpoch)
        {
            return ControllerResult.Of(new MembershipReply(ErrorCode.StaleBrokerEpoch,
                $"broker {m.BrokerId} is registered with epoch {broker.BrokerEpoch}, not {m.BrokerEpoch}", []), []);
        }
        if (broker.InControlledShutdown)
        {
            return ControllerResult.Of(new MembershipReply(ErrorCode.None, $"broker {m.BrokerId} is already leaving", LedBy(Image, m.BrokerId)), []);
        }
        var records = new List<IKafkaMessage>
        {
            new BrokerRegistrationChangeRecord { BrokerId = m.BrokerId, BrokerEpoch = broker.BrokerEpoch, InControlledShutdown = 1 },
        };
        records.AddRange(PartitionLeaderElection.BrokerLeaving(Image, m.BrokerId, _settings.BrokerValues));
        var remaining = LedBy(Replay(Image, records), m.BrokerId);
        var moved = LedBy(Image, m.BrokerId).Count - remaining.Count;
        Log.LogInformation("broker {BrokerId} asked to leave: in controlled shutdown, {Moved} leaderships moved away, {Remaining} left", m.BrokerId, moved, remaining.Count);
        return ControllerResult.Of(new MembershipReply(ErrorCode.None,
            $"broker {m.BrokerId} is leaving: {moved} leaderships moved away" + (remaining.Count > 0 ? $", {remaining.Count} without another in-sync replica stay" : "")
            + "; it shuts down after its next heartbeat", remaining), records);
    }

    private ControllerResult HandleDownBroker(DownBroker m)
    {
        if (Refuse(m.BrokerId, "down") is { } refused)
        {
            return ControllerResult.Of(refused, []);
        }
        var epoch = Image.Brokers[m.BrokerId].BrokerEpoch;
        var led = LedBy(Image, m.BrokerId).Count;
        var fence = HandleFenceExpired(new FenceExpired([m.BrokerId], "downed by an operator"));
        var brokerId = m.BrokerId;
        return new ControllerResult(fence.Records, offset =>
        {
            fence.Reply(offset);
            _downed[brokerId] = epoch;
            var remaining = LedBy(Image, brokerId);
            return new MembershipReply(ErrorCode.None,
                $"broker {brokerId} is down: fenced, {led - remaining.Count} leaderships moved away; if it is still running it must register again", remaining);
        });
    }

    /// <summary>Why <paramref name="brokerId"/> cannot leave or be downed (null: it can).</summary>
    private MembershipReply? Refuse(int brokerId, string operation)
    {
        if (!Image.Brokers.TryGetValue(brokerId, out var broker))
        {
            return new MembershipReply(ErrorCode.BrokerIdNotRegistered, $"broker {brokerId} is not registered", []);
        }
        if (broker.Fenced)
        {
            return new MembershipReply(ErrorCode.BrokerNotAvailable, $"broker {brokerId} is already fenced", []);
        }
        if (!Image.Brokers.Values.Any(b => b.NodeId != brokerId && PartitionLeaderElection.CanLead(Image, b.NodeId)))
        {
            return new MembershipReply(ErrorCode.InvalidRequest,
                $"{operation} of broker {brokerId} refused: no other broker is left to lead (stop the process with SIGTERM to take the cluster down)", []);
        }
        return null;
    }

    /// <summary>A heartbeat of a downed registration: refused, so a live process registers again.</summary>
    private bool IsDowned(BrokerHeartbeat m) =>
        _downed.TryGetValue(m.BrokerId, out var epoch) && epoch == m.BrokerEpoch;

    private void OnRegisteredAgain(int brokerId) => _downed.Remove(brokerId);

    private static MetadataImage Replay(MetadataImage image, IEnumerable<IKafkaMessage> records)
    {
        var delta = new MetadataDelta(image);
        foreach (var record in records)
        {
            delta.Replay(record);
        }
        return delta.Apply(image.Offset);
    }

    private static IReadOnlyList<(string Topic, int Partition)> LedBy(MetadataImage image, int brokerId) =>
        [.. image.TopicsById.Values.SelectMany(t => t.Partitions.Where(p => p.Leader == brokerId).Select(p => (t.Name, p.Partition)))];
}

/// <summary>The controller's answer to a leave or down: <paramref name="RemainingLeaderships"/> are the partitions the
/// broker still leads (no other in-sync replica could take them).</summary>
public sealed record MembershipReply(ErrorCode Error, string Message, IReadOnlyList<(string Topic, int Partition)> RemainingLeaderships);
