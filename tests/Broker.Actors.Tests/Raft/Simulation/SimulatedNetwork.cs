using Broker.Actors.Raft;

namespace Broker.Actors.Tests.Raft.Simulation;

/// <summary>
/// An in-process network for the simulation: every message gets a random delay (so messages reorder),
/// may be lost or duplicated, and is dropped when a partition blocks its direction (at send or at
/// delivery). A message addressed to a node that restarted since it was sent is dropped too: it was on
/// a connection that died with the old process. All randomness comes from the seeded <see cref="Random"/>.
/// </summary>
internal sealed class SimulatedNetwork
{
    private readonly Random _random;
    private readonly bool[,] _blocked;
    private readonly PriorityQueue<InFlight, (long Time, long Seq)> _queue = new();
    private long _seq;

    public SimulatedNetwork(Random random, int nodeCount)
    {
        _random = random;
        _blocked = new bool[nodeCount + 1, nodeCount + 1];
        NodeCount = nodeCount;
    }

    public readonly record struct InFlight(RaftEnvelope Envelope, int DestinationIncarnation);

    public int NodeCount { get; }

    public double LossRate { get; set; }

    public double DuplicateRate { get; set; }

    public int MinDelayMs { get; set; } = 1;

    public int MaxDelayMs { get; set; } = 10;

    public long Sent { get; private set; }

    public long Dropped { get; private set; }

    public int InFlightCount => _queue.Count;

    public void Send(in RaftEnvelope envelope, long nowMs, int destinationIncarnation)
    {
        Sent++;
        if (IsBlocked(envelope.Source, envelope.Destination) || _random.NextDouble() < LossRate)
        {
            Dropped++;
            return;
        }
        var copies = _random.NextDouble() < DuplicateRate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var at = nowMs + _random.Next(MinDelayMs, MaxDelayMs + 1);
            _queue.Enqueue(new InFlight(envelope, destinationIncarnation), (at, _seq++));
        }
    }

    public bool TryPeekTime(out long time)
    {
        if (_queue.TryPeek(out _, out var priority))
        {
            time = priority.Time;
            return true;
        }
        time = 0;
        return false;
    }

    /// <summary>Takes the next message due; false when it was dropped by a partition that began meanwhile.</summary>
    public bool Dequeue(out InFlight message)
    {
        message = _queue.Dequeue();
        if (IsBlocked(message.Envelope.Source, message.Envelope.Destination))
        {
            Dropped++;
            return false;
        }
        return true;
    }

    /// <summary>Holds a message for a paused process: its kernel keeps the bytes, the process reads them at <paramref name="atMs"/>
    /// (messages held together keep their order).</summary>
    public void Hold(in InFlight message, long atMs) => _queue.Enqueue(message, (atMs, _seq++));

    public bool IsBlocked(int from, int to) => _blocked[from, to];

    /// <summary>Blocks traffic from <paramref name="from"/> to <paramref name="to"/> (one direction).</summary>
    public void Block(int from, int to) => _blocked[from, to] = true;

    /// <summary>Splits the nodes into two sides that cannot talk to each other.</summary>
    public void Partition(IReadOnlyCollection<int> side)
    {
        for (var a = 1; a <= NodeCount; a++)
        {
            for (var b = 1; b <= NodeCount; b++)
            {
                if (side.Contains(a) != side.Contains(b))
                {
                    _blocked[a, b] = true;
                }
            }
        }
    }

    public void HealAll() => Array.Clear(_blocked);
}
