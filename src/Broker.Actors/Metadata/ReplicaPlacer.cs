namespace Broker.Actors.Metadata;

/// <summary>
/// Where new partitions' replicas go (Kafka's rack-aware assignment, simplified): the usable brokers
/// are ordered so that racks alternate (a1, b1, c1, a2, b2, ...), and partition p takes rf consecutive
/// brokers of that ring from a random start plus p, so leaders (the first replica) spread evenly and a
/// partition's replicas land on as many racks as there are. Brokers without a rack form one rack.
/// </summary>
public sealed class ReplicaPlacer
{
    private readonly int[] _ring;
    private readonly int _start;

    private ReplicaPlacer(int[] ring, int start)
    {
        _ring = ring;
        _start = start;
    }

    /// <summary>How many brokers can take replicas.</summary>
    public int BrokerCount => _ring.Length;

    /// <summary>Brokers that may get new replicas: registered, unfenced, not shutting down. None when brokers
    /// are registered but all fenced (CreateTopics then answers INVALID_REPLICATION_FACTOR, as Kafka does).</summary>
    public static ReplicaPlacer For(MetadataImage image, int fallbackNodeId, int? start = null)
    {
        var usable = image.Brokers.Values.Where(b => !b.Fenced && !b.InControlledShutdown).ToList();
        int[] ring;
        if (image.Brokers.IsEmpty)
        {
            // A single node creating topics before its own registration committed. Not when brokers are
            // registered but fenced: the fallback node may be fenced itself (or a controller-only node),
            // and a fenced broker must lead nothing (found by the controller simulation).
            ring = [fallbackNodeId];
        }
        else if (usable.Count == 0)
        {
            ring = [];
        }
        else
        {
            var racks = usable
                .GroupBy(b => b.Rack ?? "", StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => g.Select(b => b.NodeId).Order().ToArray())
                .ToArray();
            var list = new List<int>(usable.Count);
            for (var i = 0; list.Count < usable.Count; i++)
            {
                foreach (var rack in racks)
                {
                    if (i < rack.Length)
                    {
                        list.Add(rack[i]);
                    }
                }
            }
            ring = [.. list];
        }
        return new ReplicaPlacer(ring, start ?? Random.Shared.Next(Math.Max(1, ring.Length)));
    }

    /// <summary>The replicas of partition <paramref name="partition"/> (first = preferred leader).</summary>
    public List<int> Place(int partition, int replicationFactor)
    {
        var replicas = new List<int>(replicationFactor);
        for (var r = 0; r < replicationFactor; r++)
        {
            replicas.Add(_ring[(_start + partition + r) % _ring.Length]);
        }
        return replicas;
    }
}
