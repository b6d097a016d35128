using Broker.Protocol.Messages;

namespace Broker.Actors.Metadata;

/// <summary>
/// A quorum of one voter (the single node: <c>controller.quorum.voters</c> names only this node). The
/// local <see cref="MetadataLog"/> is the whole quorum: an append is committed once it is fsynced, so the
/// listener sees it before <see cref="AppendAsync"/> completes. This node is always the leader; its epoch
/// is one more than the last epoch found in the log, so every start is a new epoch, as in Kafka.
/// </summary>
public sealed class LocalMetadataQuorum : IMetadataQuorum
{
    private readonly MetadataLog _log;
    private readonly Lock _lock = new();
    private IMetadataListener? _listener;
    private long _committedOffset = -1;
    private QuorumLeader _leader = QuorumLeader.Unknown;

    public LocalMetadataQuorum(int nodeId, string metadataLogDir)
    {
        NodeId = nodeId;
        _log = MetadataLog.Open(metadataLogDir);
    }

    public int NodeId { get; }

    public QuorumLeader Leader => _leader;

    public long CommittedOffset => Volatile.Read(ref _committedOffset);

    public void Start(IMetadataListener listener)
    {
        lock (_lock)
        {
            if (_listener is not null)
            {
                throw new InvalidOperationException("the quorum is already started");
            }
            _listener = listener;
            var lastEpoch = 0;
            _log.ReplayBatches((lastOffset, epoch, records) =>
            {
                lastEpoch = Math.Max(lastEpoch, epoch);
                listener.OnCommitted(lastOffset, epoch, records);
                Volatile.Write(ref _committedOffset, lastOffset);
            });
            _leader = new QuorumLeader(NodeId, lastEpoch + 1);
        }
        listener.OnLeaderChange(_leader);
    }

    public Task<long> AppendAsync(int epoch, IReadOnlyList<IKafkaMessage> records)
    {
        ArgumentOutOfRangeException.ThrowIfZero(records.Count);
        lock (_lock)
        {
            if (_listener is null || epoch != _leader.Epoch)
            {
                return Task.FromException<long>(new NotControllerException($"epoch {epoch} is not the current epoch {_leader.Epoch} of node {NodeId}"));
            }
            long offset;
            try
            {
                offset = _log.Append(records, epoch);
            }
            catch (Exception ex)
            {
                return Task.FromException<long>(ex);
            }
            Volatile.Write(ref _committedOffset, offset);
            _listener.OnCommitted(offset, epoch, records);
            return Task.FromResult(offset);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _leader = QuorumLeader.Unknown;
            _log.Dispose();
        }
    }
}
