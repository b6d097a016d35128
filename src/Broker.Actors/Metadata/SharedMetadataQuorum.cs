using Broker.Protocol.Messages;

namespace Broker.Actors.Metadata;

/// <summary>
/// One in-memory metadata log shared by several nodes of one process (in-process clusters in tests,
/// and anything that needs controller failover without the wire). The caller decides who leads
/// (<see cref="Elect"/>, <see cref="Resign"/>); each node gets its own <see cref="IMetadataQuorum"/> view
/// from <see cref="Join"/>. A batch is committed when appended; the appending node has applied it when
/// the append completes, the other nodes apply it soon after, in log order, on their own (as Raft
/// followers would), so one node's reaction to an image never holds up the controller.
/// </summary>
public sealed class SharedMetadataQuorum
{
    private readonly Lock _lock = new();
    private readonly List<(long LastOffset, int Epoch, IReadOnlyList<IKafkaMessage> Records)> _batches = [];
    private readonly List<View> _views = [];
    private QuorumLeader _leader = QuorumLeader.Unknown;
    private int _epoch;
    private long _endOffset;

    public QuorumLeader Leader => _leader;

    /// <summary>Offset of the last committed record (-1 when empty).</summary>
    public long CommittedOffset => Volatile.Read(ref _endOffset) - 1;

    /// <summary>A view for <paramref name="nodeId"/> (a restarted node joins again and replays the log).</summary>
    public IMetadataQuorum Join(int nodeId) => new View(this, nodeId);

    /// <summary>Makes <paramref name="nodeId"/> the leader in a new epoch (every joined node hears of it).</summary>
    public QuorumLeader Elect(int nodeId) => ChangeLeader(nodeId);

    /// <summary>No leader in a new epoch (the quorum lost its majority).</summary>
    public QuorumLeader Resign() => ChangeLeader(-1);

    /// <summary>Stops (true) or resumes (false) delivering committed batches to <paramref name="nodeId"/>'s view, as a
    /// paused or cut-off Raft follower stops fetching: its image goes stale while the others move on (tests).</summary>
    public void HoldDelivery(int nodeId, bool hold)
    {
        View[] views;
        lock (_lock)
        {
            views = [.. _views.Where(v => v.NodeId == nodeId)];
        }
        foreach (var view in views)
        {
            view.Held = hold;
            if (!hold)
            {
                view.Drain();
            }
        }
    }

    private QuorumLeader ChangeLeader(int nodeId)
    {
        View[] views;
        QuorumLeader leader;
        lock (_lock)
        {
            leader = new QuorumLeader(nodeId, ++_epoch);
            _leader = leader;
            views = [.. _views];
        }
        foreach (var view in views)
        {
            view.Listener?.OnLeaderChange(leader);
        }
        return leader;
    }

    private Task<long> Append(View view, int epoch, IReadOnlyList<IKafkaMessage> records)
    {
        long last;
        View[] views;
        lock (_lock)
        {
            if (_leader.LeaderId != view.NodeId || _leader.Epoch != epoch || view.Disposed)
            {
                return Task.FromException<long>(new NotControllerException($"node {view.NodeId} does not lead epoch {epoch} (leader {_leader.LeaderId}, epoch {_leader.Epoch})"));
            }
            last = _endOffset + records.Count - 1;
            IReadOnlyList<IKafkaMessage> copy = [.. records];
            _batches.Add((last, epoch, copy));
            Volatile.Write(ref _endOffset, last + 1);
            views = [.. _views];
            foreach (var v in views)
            {
                v.Enqueue(last, epoch, copy);
            }
        }
        foreach (var v in views)
        {
            if (v == view)
            {
                v.Drain();
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(static v => v.Drain(), v, preferLocal: false);
            }
        }
        return Task.FromResult(last);
    }

    private void Start(View view, IMetadataListener listener)
    {
        lock (_lock)
        {
            view.Listener = listener;
            foreach (var (last, epoch, records) in _batches)
            {
                view.Deliver(last, epoch, records);
            }
            _views.Add(view);
        }
        listener.OnLeaderChange(_leader);
    }

    private void Leave(View view)
    {
        lock (_lock)
        {
            view.Disposed = true;
            _views.Remove(view);
        }
    }

    private sealed class View(SharedMetadataQuorum shared, int nodeId) : IMetadataQuorum
    {
        private long _committed = -1;

        public int NodeId { get; } = nodeId;

        public IMetadataListener? Listener { get; set; }

        public bool Disposed { get; set; }

        public volatile bool Held;

        public QuorumLeader Leader => Disposed ? QuorumLeader.Unknown : shared._leader;

        public long CommittedOffset => Volatile.Read(ref _committed);

        public void Start(IMetadataListener listener) => shared.Start(this, listener);

        public Task<long> AppendAsync(int epoch, IReadOnlyList<IKafkaMessage> records)
        {
            ArgumentOutOfRangeException.ThrowIfZero(records.Count);
            return shared.Append(this, epoch, records);
        }

        private readonly System.Collections.Concurrent.ConcurrentQueue<(long, int, IReadOnlyList<IKafkaMessage>)> _pending = new();
        private readonly Lock _delivery = new();

        public void Deliver(long lastOffset, int epoch, IReadOnlyList<IKafkaMessage> records)
        {
            Listener!.OnCommitted(lastOffset, epoch, records);
            Volatile.Write(ref _committed, lastOffset);
        }

        public void Enqueue(long lastOffset, int epoch, IReadOnlyList<IKafkaMessage> records) => _pending.Enqueue((lastOffset, epoch, records));

        /// <summary>Applies queued batches in log order (one drainer at a time per node).</summary>
        public void Drain()
        {
            lock (_delivery)
            {
                while (!Disposed && !Held && _pending.TryDequeue(out var batch))
                {
                    Deliver(batch.Item1, batch.Item2, batch.Item3);
                }
            }
        }

        public void Dispose() => shared.Leave(this);
    }
}
