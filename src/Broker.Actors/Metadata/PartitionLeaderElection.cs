using Broker.Actors.Configs;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

/// <summary>
/// The controller's leader and ISR decisions as pure functions of the image (Kafka's
/// PartitionChangeBuilder): which PartitionChangeRecords to write when a broker is fenced or shuts
/// down, when one comes back, and for a preferred election.
/// </summary>
public static class PartitionLeaderElection
{
    /// <summary>Kafka's NO_LEADER.</summary>
    public const int NoLeader = -1;

    /// <summary>A broker that may lead: registered, unfenced, not shutting down.</summary>
    public static bool CanLead(MetadataImage image, int brokerId) =>
        image.Brokers.TryGetValue(brokerId, out var b) && !b.Fenced && !b.InControlledShutdown;

    /// <summary>Whether unclean election is allowed for <paramref name="topic"/> (topic override, then the broker/cluster config).</summary>
    public static bool UncleanAllowed(MetadataImage image, TopicImage topic, ConfigValues brokerValues)
    {
        if (topic.Configs.TryGetValue(TopicConfigs.UncleanLeaderElectionEnable, out var value)
            || image.BrokerConfigs.TryGetValue(BrokerConfigs.UncleanLeaderElectionEnable, out value))
        {
            return bool.TryParse(value, out var enabled) && enabled;
        }
        return brokerValues.GetBoolean(BrokerConfigs.UncleanLeaderElectionEnable);
    }

    /// <summary>
    /// <paramref name="brokerId"/> leaves (fenced, controlled shutdown, re-registered after a crash): it
    /// is removed from every ISR it is in, unless it is the last member (the ISR is never empty without
    /// unclean election: the partition stays leaderless until that replica returns), and every partition
    /// it led gets a new leader from the remaining ISR (or, with unclean election, from the live replicas).
    /// The result does not depend on whether <paramref name="image"/> still shows the broker as live.
    /// </summary>
    public static List<PartitionChangeRecord> BrokerLeaving(MetadataImage image, int brokerId, ConfigValues brokerValues)
    {
        var changes = new List<PartitionChangeRecord>();
        foreach (var topic in image.TopicsById.Values)
        {
            foreach (var p in topic.Partitions)
            {
                if (!p.Isr.Contains(brokerId) && p.Leader != brokerId)
                {
                    continue;
                }
                var isr = p.Isr.Remove(brokerId);
                var leader = p.Leader;
                if (leader == brokerId || leader == NoLeader)
                {
                    leader = isr.FirstOrDefault(r => CanLead(image, r), NoLeader);
                    if (leader == NoLeader)
                    {
                        // Keep the ISR as Kafka does: only an in-sync replica may lead later without data loss.
                        if (isr.IsEmpty)
                        {
                            isr = [brokerId];
                        }
                        if (UncleanAllowed(image, topic, brokerValues))
                        {
                            var unclean = p.Replicas.FirstOrDefault(r => r != brokerId && CanLead(image, r), NoLeader);
                            if (unclean != NoLeader)
                            {
                                leader = unclean;
                                isr = [unclean];
                            }
                        }
                    }
                }
                var change = Change(topic, p, isr, leader);
                if (change is not null)
                {
                    changes.Add(change);
                }
            }
        }
        return changes;
    }

    /// <summary>Partitions without a leader get one back when an ISR member can lead again (a broker was
    /// unfenced: <paramref name="unfenced"/> counts as live even though the image does not show it yet).</summary>
    public static List<PartitionChangeRecord> ElectLeaderless(MetadataImage image, ConfigValues brokerValues, int unfenced = NoLeader)
    {
        bool CanLeadNow(int r) => r == unfenced || CanLead(image, r);
        var changes = new List<PartitionChangeRecord>();
        foreach (var topic in image.TopicsById.Values)
        {
            foreach (var p in topic.Partitions)
            {
                if (p.Leader != NoLeader)
                {
                    continue;
                }
                var leader = p.Isr.FirstOrDefault(CanLeadNow, NoLeader);
                var isr = p.Isr;
                if (leader == NoLeader && UncleanAllowed(image, topic, brokerValues))
                {
                    leader = p.Replicas.FirstOrDefault(CanLeadNow, NoLeader);
                    isr = leader == NoLeader ? isr : [leader];
                }
                if (leader != NoLeader)
                {
                    changes.Add(Change(topic, p, isr, leader)!);
                }
            }
        }
        return changes;
    }

    /// <summary>Preferred election: the first replica leads when it is in the ISR and can lead.
    /// Returns the change, or the error Kafka reports (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE).</summary>
    public static (PartitionChangeRecord? Change, Protocol.Messages.ErrorCode Error) Preferred(MetadataImage image, TopicImage topic, PartitionImage p)
    {
        var preferred = p.Replicas.IsEmpty ? NoLeader : p.Replicas[0];
        if (p.Leader == preferred)
        {
            return (null, Protocol.Messages.ErrorCode.ElectionNotNeeded);
        }
        if (preferred == NoLeader || !p.Isr.Contains(preferred) || !CanLead(image, preferred))
        {
            return (null, Protocol.Messages.ErrorCode.PreferredLeaderNotAvailable);
        }
        return (Change(topic, p, p.Isr, preferred), Protocol.Messages.ErrorCode.None);
    }

    /// <summary>Unclean election (ElectLeaders type 1) of a leaderless partition: an in-sync replica that can
    /// lead if there is one, else any live replica, which starts a new ISR of itself (its log is the truth from
    /// now on, whatever the topic's unclean.leader.election.enable: the admin asked for it). Errors as Kafka's:
    /// ELECTION_NOT_NEEDED (it has a leader), ELIGIBLE_LEADERS_NOT_AVAILABLE (no replica can lead).</summary>
    public static (PartitionChangeRecord? Change, Protocol.Messages.ErrorCode Error) Unclean(MetadataImage image, TopicImage topic, PartitionImage p)
    {
        if (p.Leader != NoLeader)
        {
            return (null, Protocol.Messages.ErrorCode.ElectionNotNeeded);
        }
        var isr = p.Isr;
        var leader = isr.FirstOrDefault(r => CanLead(image, r), NoLeader);
        if (leader == NoLeader)
        {
            leader = p.Replicas.FirstOrDefault(r => CanLead(image, r), NoLeader);
            if (leader == NoLeader)
            {
                return (null, Protocol.Messages.ErrorCode.EligibleLeadersNotAvailable);
            }
            isr = [leader];
        }
        return (Change(topic, p, isr, leader), Protocol.Messages.ErrorCode.None);
    }

    /// <summary>A PartitionChangeRecord with only what differs (null when nothing does).</summary>
    public static PartitionChangeRecord? Change(TopicImage topic, PartitionImage p, System.Collections.Immutable.ImmutableArray<int> isr, int leader)
    {
        var isrChanged = !isr.SequenceEqual(p.Isr);
        var leaderChanged = leader != p.Leader;
        if (!isrChanged && !leaderChanged)
        {
            return null;
        }
        return new PartitionChangeRecord
        {
            TopicId = topic.Id,
            PartitionId = p.Partition,
            Isr = isrChanged ? [.. isr] : null,
            Leader = leaderChanged ? leader : -2,
        };
    }
}
