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

    internal sealed record BrokerHeartbeat(int BrokerId, long BrokerEpoch, long CurrentMetadataOffset, bool WantFence, bool WantShutDown) : ICommand;

    /// <summary>Internal: fence brokers whose sessions expired.</summary>
    private sealed record FenceExpired(IReadOnlyList<int> BrokerIds) : ICommand;

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

    /// <summary>Offset of each broker's registration record: caught up once its metadata offset reaches it.</summary>
    private readonly Dictionary<int, long> _registrationOffsets = [];

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
                return false;
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
        }
        var period = TimeSpan.FromMilliseconds(Math.Max(10, Math.Min(_settings.SessionTimeoutMs / 4, 1000)));
        Context.Timers.StartPeriodicTimer("sessions", CheckSessions.Instance, period);
    }

    private void OnDeactivated()
    {
        Context.Timers.Cancel("sessions");
        _lastContact.Clear();
        _contacted.Clear();
    }

    private void OnCommitted()
    {
    }

    private ControllerResult HandleRegisterBroker(RegisterBroker m)
    {
        var image = Image;
        if (!string.IsNullOrEmpty(m.ClusterId) && !string.IsNullOrEmpty(image.ClusterId) && m.ClusterId != image.ClusterId)
        {
            return ControllerResult.Of(new RegistrationReply(ErrorCode.InconsistentClusterId, -1), []);
        }
        var records = new List<IKafkaMessage>();
        if (image.Brokers.TryGetValue(m.BrokerId, out var existing))
        {
            if (existing.IncarnationId == m.IncarnationId && !existing.Fenced)
            {
                // A retry of a registration that already went through.
                return ControllerResult.Of(new RegistrationReply(ErrorCode.None, existing.BrokerEpoch), []);
            }
            if (existing.IncarnationId != m.IncarnationId && !existing.Fenced && _contacted.Contains(m.BrokerId)
                && Environment.TickCount64 - _lastContact.GetValueOrDefault(m.BrokerId) <= _settings.SessionTimeoutMs)
            {
                return ControllerResult.Of(new RegistrationReply(ErrorCode.DuplicateBrokerRegistration, -1), []);
            }
            // A restarted broker keeps its partitions (as Kafka before KIP-966's unclean-shutdown detection):
            // if it came back within its session nothing moved, and it serves them again once unfenced.
        }
        var epoch = image.Offset + 1;
        records.Add(new RegisterBrokerRecord
        {
            BrokerId = m.BrokerId,
            IncarnationId = m.IncarnationId,
            BrokerEpoch = epoch,
            Rack = m.Rack,
            Fenced = true,
            EndPoints = [.. m.Listeners.Select(l => new RegisterBrokerRecord.BrokerEndpoint { Name = l.Name, Host = l.Host, Port = (ushort)l.Port, SecurityProtocol = l.SecurityProtocol })],
        });
        _lastContact[m.BrokerId] = Environment.TickCount64;
        _contacted.Add(m.BrokerId);
        var brokerId = m.BrokerId;
        return new ControllerResult(records, offset =>
        {
            _registrationOffsets[brokerId] = offset;
            Log.LogInformation("broker {BrokerId} registered (epoch {Epoch}, fenced)", brokerId, epoch);
            return new RegistrationReply(ErrorCode.None, epoch);
        });
    }

    private ControllerResult HandleHeartbeat(BrokerHeartbeat m)
    {
        var image = Image;
        if (!image.Brokers.TryGetValue(m.BrokerId, out var broker))
        {
            return ControllerResult.Of(new HeartbeatReply(ErrorCode.BrokerIdNotRegistered, false, true, false), []);
        }
        if (broker.BrokerEpoch != m.BrokerEpoch)
        {
            return ControllerResult.Of(new HeartbeatReply(ErrorCode.StaleBrokerEpoch, false, true, false), []);
        }
        _lastContact[m.BrokerId] = Environment.TickCount64;
        _contacted.Add(m.BrokerId);
        var caughtUp = m.CurrentMetadataOffset >= _registrationOffsets.GetValueOrDefault(m.BrokerId, broker.BrokerEpoch);
        var records = new List<IKafkaMessage>();
        var brokerId = m.BrokerId;
        if (m.WantShutDown)
        {
            if (!broker.Fenced)
            {
                if (!broker.InControlledShutdown)
                {
                    records.Add(new BrokerRegistrationChangeRecord { BrokerId = brokerId, BrokerEpoch = broker.BrokerEpoch, InControlledShutdown = 1 });
                }
                // Move every leadership (and ISR membership) away; once it leads nothing it is fenced and may go.
                records.AddRange(PartitionLeaderElection.BrokerLeaving(image, brokerId, _settings.BrokerValues));
                records.Add(new BrokerRegistrationChangeRecord { BrokerId = brokerId, BrokerEpoch = broker.BrokerEpoch, Fenced = 1 });
                Log.LogInformation("broker {BrokerId} is shutting down: leaderships moved away", brokerId);
            }
            return new ControllerResult(records, _ => new HeartbeatReply(ErrorCode.None, caughtUp, true, true));
        }
        if (broker.Fenced && !m.WantFence && caughtUp)
        {
            records.Add(new UnfenceBrokerRecord { Id = brokerId, Epoch = broker.BrokerEpoch });
            records.AddRange(PartitionLeaderElection.ElectLeaderless(image, _settings.BrokerValues, brokerId));
            Log.LogInformation("broker {BrokerId} caught up (offset {Offset}) and is unfenced", brokerId, m.CurrentMetadataOffset);
            return new ControllerResult(records, _ => new HeartbeatReply(ErrorCode.None, true, false, false));
        }
        return ControllerResult.Of(new HeartbeatReply(ErrorCode.None, caughtUp, broker.Fenced, false), []);
    }

    private ControllerResult HandleFenceExpired(FenceExpired m)
    {
        var image = Image;
        var records = new List<IKafkaMessage>();
        var working = image;
        foreach (var id in m.BrokerIds)
        {
            if (!image.Brokers.TryGetValue(id, out var broker) || broker.Fenced)
            {
                continue;
            }
            Log.LogWarning("broker {BrokerId} missed heartbeats for {Ms} ms: fenced", id, _settings.SessionTimeoutMs);
            var fence = new FenceBrokerRecord { Id = id, Epoch = broker.BrokerEpoch };
            var moves = PartitionLeaderElection.BrokerLeaving(working, id, _settings.BrokerValues);
            records.Add(fence);
            records.AddRange(moves);
            // Later brokers of this batch must see this one as fenced and its partitions moved.
            var delta = new MetadataDelta(working);
            delta.Replay(fence);
            foreach (var move in moves)
            {
                delta.Replay(move);
            }
            working = delta.Apply(working.Offset);
        }
        return ControllerResult.Of(true, records);
    }
}

/// <summary>The controller's answer to BrokerRegistration.</summary>
public sealed record RegistrationReply(ErrorCode Error, long BrokerEpoch);

/// <summary>The controller's answer to BrokerHeartbeat.</summary>
public sealed record HeartbeatReply(ErrorCode Error, bool IsCaughtUp, bool IsFenced, bool ShouldShutDown);
