using Broker.Actors.Kernel;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Metadata;

/// <summary>
/// Fast fencing of crashed brokers. Heartbeats alone only tell a dead broker from a live one after
/// <c>broker.session.timeout.ms</c>; a crashed process tells more at once: the kernel closes its sockets
/// (the controller reads EOF on the connection its heartbeats came over) and its listening ports refuse
/// connections. A broker whose connection to this controller closed since its last heartbeat, or that has
/// not heartbeated to this controller since it became active (the previous controller may have died with
/// that broker), is a suspect: it is probed every <c>controller.broker.liveness.probe.interval.ms</c>
/// until it heartbeats again, and fenced at once (its leaderships moved to the ISR) when every one of its
/// listeners refuses a connection. A paused (SIGSTOP) or partitioned broker keeps its connections, or
/// answers the probe with a handshake or a timeout, so only its session timeout fences it.
/// </summary>
internal sealed partial class ControllerActor
{
    /// <summary>The connection a broker's heartbeats or registration came over closed (from the host's listener).</summary>
    internal sealed record BrokerDisconnected(int BrokerId);

    private sealed record ProbeResult(int BrokerId, long BrokerEpoch, bool Gone);

    private sealed record ProbeSuspects
    {
        public static readonly ProbeSuspects Instance = new();
    }

    /// <summary>Suspected brokers and the broker epoch suspected (a new registration is another incarnation).</summary>
    private readonly Dictionary<int, long> _suspects = [];

    /// <summary>Brokers with a probe under way (one at a time per broker).</summary>
    private readonly HashSet<int> _probing = [];

    /// <summary>Brokers found gone, waiting for the command path to be free to fence them.</summary>
    private readonly Dictionary<int, long> _gone = [];

    private bool ProbesEnabled => _settings.LivenessProbe is not null && _settings.LivenessProbeIntervalMs > 0;

    private bool OnLivenessMessage(object message)
    {
        switch (message)
        {
            case BrokerDisconnected d:
                Suspect(d.BrokerId);
                return true;
            case ProbeSuspects:
                foreach (var id in _suspects.Keys.ToList())
                {
                    Probe(id);
                }
                FenceGone();
                return true;
            case ProbeResult r:
                _probing.Remove(r.BrokerId);
                if (r.Gone && _suspects.TryGetValue(r.BrokerId, out var epoch) && epoch == r.BrokerEpoch)
                {
                    _gone[r.BrokerId] = r.BrokerEpoch;
                    FenceGone();
                }
                return true;
            default:
                return false;
        }
    }

    private void OnLivenessActivated()
    {
        if (!ProbesEnabled)
        {
            return;
        }
        // Sessions restart on a new controller, but a broker that died with the old one would then keep its
        // leaderships for a whole session: every other broker is a suspect until it heartbeats here.
        foreach (var broker in Image.Brokers.Values)
        {
            Suspect(broker.NodeId);
        }
        Context.Timers.StartPeriodicTimer("probes", ProbeSuspects.Instance, TimeSpan.FromMilliseconds(_settings.LivenessProbeIntervalMs));
    }

    private void OnLivenessDeactivated()
    {
        Context.Timers.Cancel("probes");
        _suspects.Clear();
        _gone.Clear();
    }

    /// <summary>A heartbeat or registration of <paramref name="brokerId"/> reached this controller: it is alive.</summary>
    private void Vouch(int brokerId)
    {
        _suspects.Remove(brokerId);
        _gone.Remove(brokerId);
    }

    private void Suspect(int brokerId)
    {
        // This node's own broker heartbeats in-process: it lives as long as this actor does.
        if (!ProbesEnabled || _activeEpoch < 0 || brokerId == _quorum.NodeId
            || !Image.Brokers.TryGetValue(brokerId, out var broker) || broker.Fenced)
        {
            return;
        }
        _suspects[brokerId] = broker.BrokerEpoch;
        Probe(brokerId);
    }

    private void Probe(int brokerId)
    {
        if (!_suspects.TryGetValue(brokerId, out var epoch) || _gone.ContainsKey(brokerId) || !_probing.Add(brokerId))
        {
            return;
        }
        if (!Image.Brokers.TryGetValue(brokerId, out var broker) || broker.Fenced || broker.BrokerEpoch != epoch
            || Environment.TickCount64 - _lastContact.GetValueOrDefault(brokerId) > _settings.SessionTimeoutMs)
        {
            // Fenced, re-registered, or left to the session timeout: no longer a suspect.
            _probing.Remove(brokerId);
            _suspects.Remove(brokerId);
            return;
        }
        _settings.LivenessProbe!.IsGoneAsync(broker, CancellationToken.None).PipeTo(Self,
            success: gone => new ProbeResult(brokerId, epoch, gone),
            failure: _ => new ProbeResult(brokerId, epoch, false));
    }

    /// <summary>Fences the brokers found gone, once no other command is committing.</summary>
    private void FenceGone()
    {
        if (_gone.Count == 0 || !IsActive || _inFlight)
        {
            return;
        }
        var ids = _gone
            .Where(g => Image.Brokers.TryGetValue(g.Key, out var b) && !b.Fenced && b.BrokerEpoch == g.Value)
            .Select(g => g.Key)
            .ToList();
        foreach (var id in _gone.Keys)
        {
            _suspects.Remove(id);
        }
        _gone.Clear();
        if (ids.Count > 0)
        {
            Log.LogWarning("broker(s) {BrokerIds}: connection closed and every listener refuses connections: fenced without waiting for the session timeout",
                string.Join(",", ids));
            Execute(new FenceExpired(ids, "its process is gone"), null);
        }
    }
}

/// <summary>
/// Tells whether a broker's process is certainly gone. The host's implementation connects to the broker's
/// listeners: true only when every one of them refuses (a closed port); a handshake, a timeout or any
/// other failure answers false, so a paused or unreachable broker is left to its session timeout.
/// </summary>
public interface IBrokerLivenessProbe
{
    Task<bool> IsGoneAsync(BrokerImage broker, CancellationToken cancellationToken);
}
