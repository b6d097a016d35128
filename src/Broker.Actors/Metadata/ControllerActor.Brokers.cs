using Broker.Actors.Kernel;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Metadata;

/// <summary>
/// Broker membership (Kafka's ClusterControlManager + BrokerHeartbeatManager): registration (fenced),
/// heartbeats (unfence once caught up, controlled shutdown), and fencing after
/// <c>broker.session.timeout.ms</c> without a heartbeat. Sessions live only in the active controller's
/// memory: a new active controller gives every broker a full session from its activation.
/// </summary>
internal sealed partial class ControllerActor
{
    internal sealed record RegisterBroker(
        int BrokerId, string ClusterId, Guid IncarnationId, IReadOnlyList<BrokerEndpointImage> Listeners, string? Rack, long PreviousBrokerEpoch) : ICommand;

    internal sealed record BrokerHeartbeat(int BrokerId, long BrokerEpoch, long CurrentMetadataOffset, bool WantFence, bool WantShutDown) : ICommand
    {
        /// <summary>When the heartbeat reached the controller (it may wait behind a commit in the stash).</summary>
        public long ReceivedAtMs { get; init; } = Environment.TickCount64;
    }

    /// <summary>Internal: fence brokers whose sessions expired.</summary>
    private sealed record FenceExpired(IReadOnlyList<int> BrokerIds, string? Reason = null) : ICommand;

    private sealed record CheckSessions
    {
        public static readonly CheckSessions Instance = new();
    }

    /// <summary>Last heartbeat (Environment.TickCount64) per broker, on the active controller.</summary>
    private readonly Dictionary<int, long> _lastContact = [];

    /// <summary>Brokers that heartbeated or registered since this activation: only their sessions block a
    /// registration of another incarnation (a broker restarted after a crash must not wait out the session
    /// a new controller granted it).</summary>
    private readonly HashSet<int> _contacted = [];

    /// <summary>The metadata offset each broker must have applied before it is unfenced: its registration record,
    /// or the batch that last fenced it, whichever is later (<see cref="ControllerDecisions.CatchUpAfter"/>).</summary>
    private readonly Dictionary<int, long> _catchUpOffsets = [];

    /// <summary>When each broker was last fenced for missed heartbeats: a heartbeat received before that
    /// (it waited in the stash behind a commit while the session ran out) must not unfence a dead broker.</summary>
    private readonly Dictionary<int, long> _sessionFencedAt = [];

    private ControllerResult HandleClusterCommand(ICommand command) => command switch
    {
        RegisterBroker m => HandleRegisterBroker(m),
        BrokerHeartbeat m => HandleHeartbeat(m),
        FenceExpired m => HandleFenceExpired(m),
        _ => HandleReplicaCommand(command),
    };

    private bool OnClusterMessage(object message)
    {
        switch (message)
        {
            case CheckSessions:
                if (IsActive && !_inFlight)
                {
                    var now = Environment.TickCount64;
                    var expired = Image.Brokers.Values
                        .Where(b => !b.Fenced && now - _lastContact.GetValueOrDefault(b.NodeId, now) > _settings.SessionTimeoutMs)
                        .Select(b => b.NodeId)
                        .ToList();
                    if (expired.Count > 0)
                    {
                        Execute(new FenceExpired(expired), null);
                    }
                }
                return true;
            default:
                return OnLivenessMessage(message);
        }
    }

    private void OnActivated()
    {
        var now = Environment.TickCount64;
        _lastContact.Clear();
        _contacted.Clear();
        foreach (var broker in Image.Brokers.Values)
        {
            _lastContact[broker.NodeId] = now;
            if (broker.Fenced)
            {
                // Fenced under an earlier controller, at an offset this one did not see: everything committed so
                // far (the fence included) must reach the broker before it may lead again.
                ControllerDecisions.CatchUpAfter(_catchUpOffsets, broker.NodeId, Image.Offset);
            }
        }
        var period = TimeSpan.FromMilliseconds(Math.Max(10, Math.Min(_settings.SessionTimeoutMs / 4, 1000)));
        Context.Timers.StartPeriodicTimer("sessions", CheckSessions.Instance, period);
        OnLivenessActivated();
    }

    private void OnDeactivated()
    {
        Context.Timers.Cancel("sessions");
        _lastContact.Clear();
        _contacted.Clear();
        OnLivenessDeactivated();
    }

    private void OnCommitted() => FenceGone();

    private ControllerResult HandleRegisterBroker(RegisterBroker m)
    {
        var sessionHeld = _contacted.Contains(m.BrokerId)
            && Environment.TickCount64 - _lastContact.GetValueOrDefault(m.BrokerId) <= _settings.SessionTimeoutMs;
        var (reply, records) = ControllerDecisions.RegisterBroker(Image, m, sessionHeld, _settings.BrokerValues);
        if (records.Count == 0)
        {
            return ControllerResult.Of(reply, records);
        }
        _lastContact[m.BrokerId] = Environment.TickCount64;
        _contacted.Add(m.BrokerId);
        Vouch(m.BrokerId);
        OnRegisteredAgain(m.BrokerId);
        var brokerId = m.BrokerId;
        return new ControllerResult(records, offset =>
        {
            ControllerDecisions.CatchUpAfter(_catchUpOffsets, brokerId, offset);
            Log.LogInformation("broker {BrokerId} registered (epoch {Epoch}, fenced)", brokerId, reply.BrokerEpoch);
            return reply;
        });
    }

    private ControllerResult HandleHeartbeat(BrokerHeartbeat m)
    {
        if (IsDowned(m))
        {
            // Downed by an operator (ControllerActor.Membership.cs): this registration is over, a live process registers again.
            return ControllerResult.Of(new HeartbeatReply(ErrorCode.StaleBrokerEpoch, false, true, false), []);
        }
        if (Image.Brokers.TryGetValue(m.BrokerId, out var fenced) && fenced.Fenced
            && m.ReceivedAtMs <= _sessionFencedAt.GetValueOrDefault(m.BrokerId, long.MinValue))
        {
            // Received before this broker's session was fenced (it waited in the stash behind a commit while the
            // session ran out): the broker may have died since, so this heartbeat must not unfence it.
            m = m with { WantFence = true };
        }
        var (reply, records) = ControllerDecisions.Heartbeat(Image, m,
            _catchUpOffsets.TryGetValue(m.BrokerId, out var catchUp) ? catchUp : null, _settings.BrokerValues);
        if (reply.Error == ErrorCode.None)
        {
            _lastContact[m.BrokerId] = Environment.TickCount64;
            _contacted.Add(m.BrokerId);
            Vouch(m.BrokerId);
        }
        if (records.Count > 0)
        {
            if (m.WantShutDown)
            {
                Log.LogInformation("broker {BrokerId} is shutting down: leaderships moved away", m.BrokerId);
            }
            else
            {
                Log.LogInformation("broker {BrokerId} caught up (offset {Offset}) and is unfenced", m.BrokerId, m.CurrentMetadataOffset);
            }
        }
        return ControllerResult.Of(reply, records);
    }

    private ControllerResult HandleFenceExpired(FenceExpired m)
    {
        foreach (var id in m.BrokerIds)
        {
            if (Image.Brokers.TryGetValue(id, out var broker) && !broker.Fenced)
            {
                if (m.Reason is null)
                {
                    Log.LogWarning("broker {BrokerId} missed heartbeats for {Ms} ms: fenced", id, _settings.SessionTimeoutMs);
                }
                else
                {
                    Log.LogWarning("broker {BrokerId} fenced: {Reason}", id, m.Reason);
                }
                _sessionFencedAt[id] = Environment.TickCount64;
            }
        }
        var records = ControllerDecisions.FenceBrokers(Image, m.BrokerIds, _settings.BrokerValues);
        if (records.Count == 0)
        {
            return ControllerResult.Of(true, records);
        }
        var fenced = m.BrokerIds;
        return new ControllerResult(records, offset =>
        {
            // A fenced broker that comes back (a paused process resumed) learns that it was deposed only from this
            // batch: it is unfenced once it has applied it, so its first unfenced heartbeat proves its image is past it.
            foreach (var id in fenced)
            {
                ControllerDecisions.CatchUpAfter(_catchUpOffsets, id, offset);
            }
            return true;
        });
    }
}

/// <summary>The controller's answer to BrokerRegistration.</summary>
public sealed record RegistrationReply(ErrorCode Error, long BrokerEpoch);

/// <summary>The controller's answer to BrokerHeartbeat.</summary>
public sealed record HeartbeatReply(ErrorCode Error, bool IsCaughtUp, bool IsFenced, bool ShouldShutDown);
