using Broker.Actors.Kernel;
using Broker.Actors.Raft.Storage;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Raft.Runtime;

/// <summary>How to run one quorum member: its Raft settings, where its files live, how it reaches the others.</summary>
public sealed record RaftActorSettings(RaftConfig Config, string LogDir, IRaftTransport Transport, IRaftListener Listener)
{
    /// <summary>How often time is fed to the core; timers in the core are multiples of this.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Receives the member's status after every change (any thread may read the last one).</summary>
    public RaftStatusBoard Status { get; init; } = new();

    /// <summary>Completes once the actor has stopped for good and closed its files (not on a restart).</summary>
    public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The last published <see cref="RaftStatus"/> of a member, for readers outside the actor.</summary>
public sealed class RaftStatusBoard
{
    private volatile RaftStatus? _current;
    private volatile RaftLeaderLease? _lease;

    public RaftStatus? Current => _current;

    /// <summary>The leader lease as of the member's last step (null while it does not lead).</summary>
    public RaftLeaderLease? LeaderLease => _lease;

    /// <summary>Whether this member leads <paramref name="epoch"/> and a majority of voters is known to follow it
    /// at <paramref name="nowMs"/> (<see cref="Environment.TickCount64"/>, the clock the actor feeds its core).</summary>
    public bool HoldsLeaderLease(int epoch, long nowMs) => _lease is { } lease && lease.Epoch == epoch && lease.UntilMs > nowMs;

    internal void PublishLease(RaftLeaderLease? lease) => _lease = lease;

    /// <summary>Raised on the actor's thread after the status changed.</summary>
    public event Action<RaftStatus>? Changed;

    internal void Publish(RaftStatus status)
    {
        if (_current != status)
        {
            _current = status;
            Changed?.Invoke(status);
        }
    }
}

/// <summary>The leader's lease: no other member can lead before <paramref name="UntilMs"/> (monotonic ms,
/// <see cref="RaftCore.LeaderLeaseUntilMs"/>).</summary>
public sealed record RaftLeaderLease(int Epoch, long UntilMs);

/// <summary>
/// Runs a <see cref="RaftCore"/> on the actor kernel: time arrives as timer ticks, requests from the wire as
/// <see cref="RaftInbound"/> (answered whenever the core replies, so a long-poll fetch waits without
/// holding a thread), responses to the core's own requests come back piped from the
/// <see cref="IRaftTransport"/>. The log and quorum state are files (<see cref="FileRaftLog"/>,
/// <see cref="FileQuorumStateStore"/>), opened in PreStart so a restart after a failure reloads them.
/// Committed entries, snapshots and leader changes go to the <see cref="IRaftListener"/> in order.
/// </summary>
public sealed partial class RaftActor : ActorBase
{
    private static readonly object TickKey = new();

    private readonly RaftActorSettings _settings;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<long, PendingInbound> _inbound = new();
    private readonly Queue<(long Offset, TaskCompletionSource<long> Done)> _proposals = new();
    private readonly List<long> _expiredInbound = new();
    private FileRaftLog _log = null!;
    private RaftCore _core = null!;
    private long _nextInboundId;
    private long _delivered;
    private (RaftRole Role, int Epoch, int Leader) _lastRole = (RaftRole.Unattached, -1, -2);

    private sealed record Tick;

    private sealed record ResponseArrived(int Source, long CorrelationId, RaftMessage Response);

    private sealed record SendFailed(int Destination, long CorrelationId, string Reason, bool PeerGone = false);

    private readonly record struct PendingInbound(RaftInbound Request, long ArrivedMs);

    public RaftActor(RaftActorSettings settings) => _settings = settings;

    public static Props Props(RaftActorSettings settings) => Kernel.Props.Create(() => new RaftActor(settings));

    private static long Now => Environment.TickCount64;

    protected override void PreStart()
    {
        var config = _settings.Config;
        _log = FileRaftLog.Open(_settings.LogDir);
        if (_log.RecoveredTornBytes > 0)
        {
            Log.LogWarning("raft {NodeId}: cut {Bytes} torn bytes off the metadata log tail", config.NodeId, _log.RecoveredTornBytes);
        }
        var store = new FileQuorumStateStore(_settings.LogDir, config.Voters);
        // Correlation ids start high and random so a restarted member never mistakes an answer to its
        // previous incarnation's request for one of its own.
        _core = new RaftCore(config, _log, store, new Random(), Now, firstCorrelationId: Random.Shared.NextInt64(1L << 40, 1L << 50));
        _delivered = _log.LogStartOffset;
        if (_log.LatestSnapshot is { } snapshot)
        {
            _settings.Listener.OnSnapshot(snapshot);
        }
        Context.Timers.StartPeriodicTimer(TickKey, new Tick(), _settings.TickInterval);
        AfterStep();
    }

    protected override void PostStop()
    {
        Close();
        _settings.Stopped.TrySetResult();
    }

    protected override void PreRestart(Exception reason, object? message)
    {
        Log.LogError(reason, "raft {NodeId}: restarting after a failure; the log and quorum state are reloaded from disk", _settings.Config.NodeId);
        Close();
    }

    private void Close()
    {
        _stopping.Cancel();
        foreach (var (_, pending) in _inbound)
        {
            TryReply(pending.Request, RaftErrorResponses.For(pending.Request.Request, RaftErrors.BrokerNotAvailable, new LeaderIdAndEpoch(-1, _core?.Epoch ?? 0)));
        }
        _inbound.Clear();
        FailProposals("the quorum member stopped");
        _log?.Dispose();
        _log = null!;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tick:
                _core.Tick(Now);
                ExpireInbound();
                break;
            case RaftInbound inbound:
                var id = _nextInboundId++;
                _inbound[id] = new PendingInbound(inbound, Now);
                _core.Handle(new RaftEnvelope(inbound.Source, _core.NodeId, id, inbound.Request), Now);
                break;
            case ResponseArrived response:
                if (Log.IsEnabled(LogLevel.Trace))
                {
                    Log.LogTrace("raft {NodeId}: {Id} {Response} from {Source}", _core.NodeId, response.CorrelationId, response.Response, response.Source);
                }
                _core.Handle(new RaftEnvelope(response.Source, _core.NodeId, response.CorrelationId, response.Response), Now);
                break;
            case SendFailed failed:
                Log.LogDebug("raft {NodeId}: request {Id} to {Destination} failed: {Reason}", _core.NodeId, failed.CorrelationId, failed.Destination, failed.Reason);
                if (failed.PeerGone && failed.Destination == _core.LeaderId)
                {
                    Log.LogInformation("raft {NodeId}: leader {LeaderId} is gone ({Reason})", _core.NodeId, failed.Destination, failed.Reason);
                    _core.LeaderGone(failed.Destination, Now);
                }
                break;
            case RaftPropose propose:
                Propose(propose);
                break;
            case RaftCreateSnapshot snapshot:
                if (!_core.CreateSnapshot(snapshot.EndOffset, snapshot.Data))
                {
                    Log.LogDebug("raft {NodeId}: snapshot at {Offset} refused (hw {Hw}, log [{Start}, {End}))",
                        _core.NodeId, snapshot.EndOffset, _core.HighWatermark, _log.LogStartOffset, _log.EndOffset);
                }
                break;
            case RaftResign:
                _core.Resign(Now);
                break;
            default:
                Unhandled(message);
                return;
        }
        AfterStep();
    }

    private void Propose(RaftPropose propose)
    {
        if (_core.Role != RaftRole.Leader || _core.Epoch != propose.Epoch)
        {
            propose.Done.TrySetException(new RaftNotLeaderException(
                $"node {_core.NodeId} is {_core.Role} in epoch {_core.Epoch} (leader {_core.LeaderId}), not the leader of epoch {propose.Epoch}"));
            return;
        }
        var offset = _core.Propose(propose.Value, Now);
        _proposals.Enqueue((offset, propose.Done));
    }

    /// <summary>Sends what the core wants sent, delivers what it committed, publishes its status.</summary>
    private void AfterStep()
    {
        var outbox = _core.Outbox;
        for (var i = 0; i < outbox.Count; i++)
        {
            var envelope = outbox[i];
            if (RaftErrorResponses.IsResponse(envelope.Message))
            {
                if (_inbound.Remove(envelope.CorrelationId, out var pending))
                {
                    TryReply(pending.Request, envelope.Message is DescribeQuorumResponse describe ? ToWallClock(describe) : envelope.Message);
                }
            }
            else
            {
                Send(envelope);
            }
        }
        _core.ClearOutbox();
        Deliver();
        var role = (_core.Role, _core.Epoch, _core.LeaderId);
        if (role != _lastRole)
        {
            var previous = _lastRole;
            _lastRole = role;
            if (role.Role != RaftRole.Leader)
            {
                FailProposals($"node {_core.NodeId} is no longer the leader (now {role.Role} in epoch {role.Epoch})");
            }
            // Requests the core parked in its old role (long-poll fetches) will not be answered by it.
            AnswerAllInbound();
            if (previous.Epoch != role.Epoch || previous.Leader != role.LeaderId)
            {
                // A restarted ex-leader starts Resigned in its old epoch (it may have lost unflushed entries and
                // never leads that epoch again): nobody leads as far as it knows. Announcing itself made its
                // controller claim an epoch it cannot append in, retrying every second, and /cluster/members on
                // it name itself as the controller.
                var leader = role.Role switch
                {
                    RaftRole.Leader => _core.NodeId,
                    RaftRole.Resigned => -1,
                    _ => role.LeaderId,
                };
                _settings.Listener.OnLeaderChange(leader, role.Epoch);
            }
        }
        // Renewed by each acknowledged fetch answer (a few times a second): a new record only when it moves.
        var leaseUntil = _core.LeaderLeaseUntilMs;
        var lease = _settings.Status.LeaderLease;
        if (leaseUntil == long.MinValue ? lease is not null : lease is null || lease.Epoch != _core.Epoch || lease.UntilMs != leaseUntil)
        {
            _settings.Status.PublishLease(leaseUntil == long.MinValue ? null : new RaftLeaderLease(_core.Epoch, leaseUntil));
        }
        _settings.Status.Publish(new RaftStatus(_core.NodeId, _core.Role, _core.Role == RaftRole.Leader ? _core.NodeId : _core.LeaderId,
            _core.Epoch, _core.HighWatermark, _log.LogStartOffset, _log.EndOffset));
    }

    private void Send(RaftEnvelope envelope)
    {
        if (Log.IsEnabled(LogLevel.Trace))
        {
            Log.LogTrace("raft {NodeId}: {Id} {Request} to {Destination}", _core.NodeId, envelope.CorrelationId, envelope.Message, envelope.Destination);
        }
        var self = Self;
        var source = envelope.Destination;
        var id = envelope.CorrelationId;
        _settings.Transport.SendAsync(envelope.Destination, envelope.Message, _stopping.Token).PipeTo(self,
            success: response => new ResponseArrived(source, id, response),
            failure: ex => new SendFailed(source, id, ex.Message, ex is RaftPeerGoneException || ex.InnerException is RaftPeerGoneException));
    }

    /// <summary>Hands committed entries to the listener in order, and completes the proposals they commit.</summary>
    private void Deliver()
    {
        if (_log.LogStartOffset > _delivered && _log.LatestSnapshot is { } snapshot)
        {
            // A fetched snapshot replaced everything up to its end.
            _settings.Listener.OnSnapshot(snapshot);
            _delivered = snapshot.Id.Offset;
        }
        var hw = _core.HighWatermark;
        while (_delivered < hw)
        {
            var entry = _log.Read(_delivered);
            _settings.Listener.OnCommitted(entry);
            _delivered++;
        }
        while (_proposals.Count > 0 && _proposals.Peek().Offset < _delivered)
        {
            var (offset, done) = _proposals.Dequeue();
            done.TrySetResult(offset);
        }
    }

    private void FailProposals(string reason)
    {
        while (_proposals.Count > 0)
        {
            _proposals.Dequeue().Done.TrySetException(new RaftNotLeaderException(reason));
        }
    }

    private void AnswerAllInbound()
    {
        if (_inbound.Count == 0)
        {
            return;
        }
        var leader = new LeaderIdAndEpoch(_core.Role == RaftRole.Leader ? _core.NodeId : _core.LeaderId, _core.Epoch);
        foreach (var (_, pending) in _inbound)
        {
            TryReply(pending.Request, RaftErrorResponses.For(pending.Request.Request, RaftErrors.NotLeaderOrFollower, leader));
        }
        _inbound.Clear();
    }

    /// <summary>A request the core dropped (a parked fetch replaced by a newer one) must still be answered,
    /// or the connection's responses, which go out in request order, would stall behind it.</summary>
    private void ExpireInbound()
    {
        if (_inbound.Count == 0)
        {
            return;
        }
        var limit = Now - (_core.Config.FetchMaxWaitMs + _core.Config.RequestTimeoutMs);
        _expiredInbound.Clear();
        foreach (var (id, pending) in _inbound)
        {
            if (pending.ArrivedMs < limit)
            {
                _expiredInbound.Add(id);
            }
        }
        var leader = new LeaderIdAndEpoch(_core.Role == RaftRole.Leader ? _core.NodeId : _core.LeaderId, _core.Epoch);
        foreach (var id in _expiredInbound)
        {
            if (_inbound.Remove(id, out var pending))
            {
                TryReply(pending.Request, RaftErrorResponses.For(pending.Request.Request, RaftErrors.NotLeaderOrFollower, leader));
            }
        }
    }

    /// <summary>The core keeps monotonic milliseconds; DescribeQuorum reports wall-clock timestamps, as Kafka does.</summary>
    private static DescribeQuorumResponse ToWallClock(DescribeQuorumResponse response)
    {
        var offset = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - Now;
        static IReadOnlyList<ReplicaState> Convert(IReadOnlyList<ReplicaState> states, long offset) =>
            states.Select(s => s with
            {
                LastFetchTimestamp = s.LastFetchTimestamp < 0 ? -1 : s.LastFetchTimestamp + offset,
                LastCaughtUpTimestamp = s.LastCaughtUpTimestamp < 0 ? -1 : s.LastCaughtUpTimestamp + offset,
            }).ToList();
        return response with { CurrentVoters = Convert(response.CurrentVoters, offset), Observers = Convert(response.Observers, offset) };
    }

    private void TryReply(RaftInbound request, RaftMessage response)
    {
        try
        {
            request.Reply(response);
        }
        catch (Exception ex)
        {
            Log.LogDebug(ex, "raft {NodeId}: replying to {Source} failed", _core?.NodeId, request.Source);
        }
    }
}
