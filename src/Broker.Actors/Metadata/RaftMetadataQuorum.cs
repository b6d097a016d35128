using Broker.Actors.Kernel;
using Broker.Actors.Raft;
using Broker.Actors.Raft.Runtime;
using Broker.Protocol.Messages;

namespace Broker.Actors.Metadata;

/// <summary>Settings of the Raft-backed metadata log.</summary>
public sealed record RaftMetadataQuorumOptions
{
    /// <summary>Kafka's metadata.log.max.record.bytes.between.snapshots: committed bytes after which a snapshot is taken.</summary>
    public long SnapshotEveryBytes { get; init; } = 20L * 1024 * 1024;

    /// <summary>How often the Raft core is ticked.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// <see cref="IMetadataQuorum"/> on the KRaft quorum: a <see cref="RaftActor"/> over the
/// <c>__cluster_metadata-0</c> files replicates each appended batch as one entry; committed entries reach
/// the <see cref="IMetadataListener"/> in order on every member (voters and observers). It keeps its own
/// copy of the image (replaying the same records) to write snapshots: every
/// <see cref="RaftMetadataQuorumOptions.SnapshotEveryBytes"/> committed bytes the image is written as
/// records between a SnapshotHeader and a SnapshotFooter and the log behind it is deleted. Offsets are
/// entry offsets: a batch's records share the offset of their entry.
/// </summary>
public sealed class RaftMetadataQuorum : IMetadataQuorum, IRaftListener
{
    private readonly ActorSystem _system;
    private readonly RaftActorSettings _settings;
    private readonly RaftMetadataQuorumOptions _options;
    private IMetadataListener? _listener;
    private MetadataDelta _delta = new(MetadataImage.Empty);
    private long _bytesSinceSnapshot;
    private long _committed = -1;
    private volatile QuorumLeaderBox _leader = new(QuorumLeader.Unknown);
    private ActorRef? _actor;

    private sealed record QuorumLeaderBox(QuorumLeader Value);

    public RaftMetadataQuorum(ActorSystem system, RaftConfig config, string metadataLogDir, IRaftTransport transport, RaftMetadataQuorumOptions? options = null)
    {
        _system = system;
        _options = options ?? new RaftMetadataQuorumOptions();
        _settings = new RaftActorSettings(config, Path.Combine(metadataLogDir, MetadataLog.TopicName + "-0"), transport, this)
        {
            TickInterval = _options.TickInterval,
        };
    }

    public int NodeId => _settings.Config.NodeId;

    public QuorumLeader Leader => _leader.Value;

    public long CommittedOffset => Interlocked.Read(ref _committed);

    /// <summary>The Raft member's role, epoch, high watermark and log bounds, as last published.</summary>
    public RaftStatusBoard Status => _settings.Status;

    /// <summary>The actor the Kafka handlers hand Raft requests to (null before <see cref="Start"/>).</summary>
    public ActorRef? Actor => _actor;

    /// <summary>Completes once the member has stopped and closed its files.</summary>
    public Task Stopped => _settings.Stopped.Task;

    public void Start(IMetadataListener listener)
    {
        if (_actor is not null)
        {
            throw new InvalidOperationException("the quorum is already started");
        }
        _listener = listener;
        _actor = _system.ActorOf(RaftActor.Props(_settings), $"raft-{NodeId}");
    }

    public async Task<long> AppendAsync(int epoch, IReadOnlyList<IKafkaMessage> records)
    {
        var actor = _actor ?? throw new InvalidOperationException("the quorum is not started");
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        actor.Tell(new RaftPropose(epoch, MetadataBatchCodec.Encode(records), done));
        try
        {
            return await done.Task.ConfigureAwait(false);
        }
        catch (RaftNotLeaderException ex)
        {
            throw new NotControllerException(ex.Message);
        }
    }

    /// <summary>The Raft leader lease (<see cref="RaftCore.LeaderLeaseUntilMs"/>) on the monotonic clock the member
    /// runs on: a paused ex-leader that resumes holds none, whatever its core still believes.</summary>
    public bool HoldsLeaderLease(int epoch) => _settings.Status.HoldsLeaderLease(epoch, Environment.TickCount64);

    /// <summary>Gives up leadership gracefully (EndQuorumEpoch), e.g. before a controlled shutdown.</summary>
    public void Resign() => _actor?.Tell(new RaftResign());

    public void Dispose()
    {
        if (_actor is { } actor)
        {
            _system.Stop(actor);
        }
    }

    // IRaftListener: called on the RaftActor's thread, in log order.

    void IRaftListener.OnSnapshot(RaftSnapshot snapshot)
    {
        var records = MetadataSnapshot.Decode(snapshot.Data);
        _delta = new MetadataDelta(MetadataImage.Empty);
        foreach (var record in records)
        {
            _delta.Replay(record);
        }
        _bytesSinceSnapshot = 0;
        Interlocked.Exchange(ref _committed, snapshot.Id.Offset - 1);
        _listener?.OnSnapshot(snapshot.Id.Offset, records);
    }

    void IRaftListener.OnCommitted(in RaftEntry entry)
    {
        if (entry.Type == RaftRecordType.Data)
        {
            var records = MetadataBatchCodec.Decode(entry.Value);
            foreach (var record in records)
            {
                _delta.Replay(record);
            }
            _bytesSinceSnapshot += entry.Value.Length;
            Interlocked.Exchange(ref _committed, entry.Offset);
            _listener?.OnCommitted(entry.Offset, entry.Epoch, records);
        }
        else
        {
            Interlocked.Exchange(ref _committed, entry.Offset);
        }
        if (_bytesSinceSnapshot >= _options.SnapshotEveryBytes)
        {
            var image = _delta.Apply(entry.Offset);
            var data = MetadataSnapshot.Encode(MetadataImageRecords.ToRecords(image), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            _actor?.Tell(new RaftCreateSnapshot(entry.Offset + 1, data));
            _bytesSinceSnapshot = 0;
        }
    }

    void IRaftListener.OnLeaderChange(int leaderId, int epoch)
    {
        var leader = new QuorumLeader(leaderId, epoch);
        _leader = new QuorumLeaderBox(leader);
        _listener?.OnLeaderChange(leader);
    }
}
