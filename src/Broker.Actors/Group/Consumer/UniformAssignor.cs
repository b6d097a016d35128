namespace Broker.Actors.Group.Consumer;

/// <summary>
/// Kafka's default server assignor: every subscribed partition to exactly one subscribed member, counts balanced
/// (with one subscription for all, no two members differ by more than one partition), and sticky: a partition
/// stays with its current target owner unless balance requires moving it. Works for heterogeneous subscriptions
/// too: a move happens only between members that both subscribe to the partition's topic.
/// </summary>
public sealed class UniformAssignor : IPartitionAssignor
{
    public string Name => "uniform";

    public IReadOnlyDictionary<string, Assignment> Assign(GroupSpec spec)
    {
        var memberIds = spec.Members.Keys.Order(StringComparer.Ordinal).ToList();
        var owned = memberIds.ToDictionary(m => m, _ => new List<(Guid, int)>(), StringComparer.Ordinal);
        var owner = new Dictionary<(Guid, int), string>();
        var all = PartitionAssignors.SubscribedPartitions(spec).ToList();
        var exists = all.ToHashSet();

        // 1. Stickiness: keep what each member had, if it still subscribes and the partition still exists.
        foreach (var m in memberIds)
        {
            var member = spec.Members[m];
            foreach (var tp in member.CurrentAssignment.All())
            {
                if (exists.Contains(tp) && member.SubscribedTopicIds.Contains(tp.TopicId) && owner.TryAdd(tp, m))
                {
                    owned[m].Add(tp);
                }
            }
        }

        // 2. Unowned partitions go to the least loaded subscriber.
        foreach (var tp in all)
        {
            if (owner.ContainsKey(tp))
            {
                continue;
            }
            var target = LeastLoaded(memberIds, spec, owned, tp.TopicId, exclude: null);
            if (target is not null)
            {
                owner[tp] = target;
                owned[target].Add(tp);
            }
        }

        // 3. Balance: move a partition from a member to a subscriber with at least two fewer. Each move lowers the
        //    sum of squared counts, so this ends; members are visited most loaded first for the fewest moves.
        var moved = true;
        while (moved)
        {
            moved = false;
            foreach (var from in memberIds.OrderByDescending(m => owned[m].Count).ThenBy(m => m, StringComparer.Ordinal))
            {
                for (var i = owned[from].Count - 1; i >= 0; i--)
                {
                    var tp = owned[from][i];
                    var to = LeastLoaded(memberIds, spec, owned, tp.Item1, exclude: from);
                    if (to is not null && owned[from].Count - owned[to].Count > 1)
                    {
                        owned[from].RemoveAt(i);
                        owned[to].Add(tp);
                        moved = true;
                        break;
                    }
                }
                if (moved)
                {
                    break;
                }
            }
        }
        return PartitionAssignors.ToAssignments(memberIds, owned);
    }

    private static string? LeastLoaded(List<string> memberIds, GroupSpec spec, Dictionary<string, List<(Guid, int)>> owned, Guid topicId, string? exclude)
    {
        string? best = null;
        foreach (var m in memberIds)
        {
            if (m == exclude || !spec.Members[m].SubscribedTopicIds.Contains(topicId))
            {
                continue;
            }
            if (best is null || owned[m].Count < owned[best].Count)
            {
                best = m;
            }
        }
        return best;
    }
}
