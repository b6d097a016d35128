using Broker.Actors.Metadata;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Cluster;

/// <summary>
/// A broker's membership (Kafka's BrokerLifecycleManager): registers with the active controller (fenced,
/// with a fresh incarnation id), heartbeats every <c>broker.heartbeat.interval.ms</c> with its metadata
/// offset, which unfences it once it has caught up to its own registration; and runs the controlled
/// shutdown: WantShutDown heartbeats until the controller, having moved this broker's leaderships away,
/// answers ShouldShutDown (an unasked ShouldShutDown: an operator made it leave, <see cref="ShutdownRequested"/>). A rejected epoch (the controller lost or fenced the registration) registers again.
/// </summary>
public sealed class BrokerLifecycleManager : IAsyncDisposable
{
    private readonly ControllerChannel _channel;
    private readonly MetadataPublisher _publisher;
    private readonly int _brokerId;
    private readonly string? _rack;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _unfenced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _shutdownAllowed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _shutdownRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _kick = new(0, 1);
    private IReadOnlyList<BrokerEndpointImage> _listeners = [];
    private Task _loop = Task.CompletedTask;
    private volatile bool _wantShutDown;
    private long _brokerEpoch = -1;

    public BrokerLifecycleManager(ControllerChannel channel, MetadataPublisher publisher, int brokerId, string? rack, TimeSpan heartbeatInterval,
        BrokerMetadataLease lease, ILogger logger)
    {
        Lease = lease;
        lease.RenewalWanted += Kick;
        _channel = channel;
        _publisher = publisher;
        _brokerId = brokerId;
        _rack = rack;
        _interval = heartbeatInterval;
        _logger = logger;
    }

    public Guid IncarnationId { get; } = Guid.NewGuid();

    /// <summary>Renewed by each heartbeat the controller answers unfenced (see <see cref="BrokerMetadataLease"/>).</summary>
    public BrokerMetadataLease Lease { get; }

    /// <summary>Tests: while true no heartbeat is sent (as if this broker's heartbeats were lost), so its session
    /// and lease run out while everything else keeps working.</summary>
    internal bool HoldHeartbeats { get; set; }

    /// <summary>The epoch of the current registration (-1 before one is accepted).</summary>
    public long BrokerEpoch => Interlocked.Read(ref _brokerEpoch);

    /// <summary>Completes the first time the controller reports this broker unfenced.</summary>
    public Task Unfenced => _unfenced.Task;

    /// <summary>Completes when the controller answers ShouldShutDown to a heartbeat that did not ask for it: an operator
    /// asked this broker to leave the cluster (its leaderships already moved); the host runs its graceful shutdown.</summary>
    public Task ShutdownRequested => _shutdownRequested.Task;

    public void Start(IReadOnlyList<BrokerEndpointImage> listeners)
    {
        _listeners = listeners;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Asks the controller to move this broker's leaderships away; true once it allows the shutdown.</summary>
    public async Task<bool> ControlledShutdownAsync(TimeSpan timeout)
    {
        if (BrokerEpoch < 0)
        {
            return false;
        }
        _wantShutDown = true;
        Kick();
        try
        {
            await _shutdownAllowed.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("broker {BrokerId}: controlled shutdown not confirmed within {Timeout}", _brokerId, timeout);
            return false;
        }
    }

    private void Kick()
    {
        try
        {
            _kick.Release();
        }
        catch (SemaphoreFullException)
        {
            // already kicked
        }
        catch (ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var fast = false;
            try
            {
                if (BrokerEpoch < 0)
                {
                    fast = !await RegisterAsync().ConfigureAwait(false);
                    if (!fast)
                    {
                        continue; // heartbeat at once: that is what unfences
                    }
                }
                else if (HoldHeartbeats)
                {
                    fast = true;
                }
                else
                {
                    var sent = Environment.TickCount64;
                    var reply = await HeartbeatAsync().ConfigureAwait(false);
                    var took = Environment.TickCount64 - sent;
                    if (took > _interval.TotalMilliseconds)
                    {
                        _logger.LogWarning("broker {BrokerId}: heartbeat took {Ms} ms", _brokerId, took);
                    }
                    if (reply is null)
                    {
                        fast = true;
                    }
                    else if (reply.Error is ErrorCode.StaleBrokerEpoch or ErrorCode.BrokerIdNotRegistered)
                    {
                        _logger.LogWarning("broker {BrokerId}: heartbeat refused ({Error}), registering again", _brokerId, reply.Error);
                        Lease.Revoke();
                        Interlocked.Exchange(ref _brokerEpoch, -1);
                        continue;
                    }
                    else
                    {
                        if (!reply.IsFenced)
                        {
                            Lease.Renew(sent);
                            _unfenced.TrySetResult();
                        }
                        else if (!_wantShutDown)
                        {
                            // Fenced by the controller (not a controlled shutdown, which this broker asked for while
                            // following the log): its image may still name it leader of partitions moved away.
                            if (Lease.IsValid)
                            {
                                _logger.LogWarning("broker {BrokerId}: the controller reports it fenced; catching up before it leads again", _brokerId);
                            }
                            Lease.Revoke();
                        }
                        if (reply.ShouldShutDown && _wantShutDown)
                        {
                            _shutdownAllowed.TrySetResult();
                            return; // Kafka stops heartbeating once the controller lets it go
                        }
                        if (reply.ShouldShutDown && _shutdownRequested.TrySetResult())
                        {
                            _logger.LogWarning("broker {BrokerId}: the controller asks it to leave the cluster: shutting down", _brokerId);
                        }
                        // Catching up or shutting down: ask again soon rather than a whole interval later.
                        fast = reply.IsFenced || _wantShutDown;
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogDebug(ex, "broker {BrokerId}: controller request failed", _brokerId);
                fast = true;
            }
            try
            {
                await _kick.WaitAsync(fast ? TimeSpan.FromMilliseconds(Math.Min(50, _interval.TotalMilliseconds)) : _interval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> RegisterAsync()
    {
        RegistrationReply? reply;
        if (_channel.LocalActive is { } local)
        {
            reply = await Local(() => local.RegisterBrokerAsync(_brokerId, _publisher.Current.ClusterId, IncarnationId, _listeners, _rack)).ConfigureAwait(false);
        }
        else
        {
            var request = new BrokerRegistrationRequest
            {
                BrokerId = _brokerId,
                ClusterId = _publisher.Current.ClusterId,
                IncarnationId = IncarnationId,
                Rack = _rack,
                Listeners = [.. _listeners.Select(l => new BrokerRegistrationRequest.Listener { Name = l.Name, Host = l.Host, Port = (ushort)l.Port, SecurityProtocol = l.SecurityProtocol })],
            };
            var response = await _channel.SendAsync<BrokerRegistrationResponse>(request, BrokerRegistrationRequest.HighestVersion).ConfigureAwait(false);
            reply = response is null ? null : new RegistrationReply((ErrorCode)response.ErrorCode, response.BrokerEpoch);
        }
        if (reply is null || reply.Error == ErrorCode.NotController)
        {
            return false;
        }
        if (reply.Error != ErrorCode.None)
        {
            _logger.LogWarning("broker {BrokerId}: registration refused ({Error}); retrying", _brokerId, reply.Error);
            await Task.Delay(_interval, _stop.Token).ConfigureAwait(false);
            return false;
        }
        Interlocked.Exchange(ref _brokerEpoch, reply.BrokerEpoch);
        _logger.LogInformation("broker {BrokerId} registered with the controller (epoch {Epoch})", _brokerId, reply.BrokerEpoch);
        return true;
    }

    private async Task<HeartbeatReply?> HeartbeatAsync()
    {
        var offset = _publisher.Current.Offset;
        HeartbeatReply? reply;
        if (_channel.LocalActive is { } local)
        {
            reply = await Local(() => local.HeartbeatAsync(_brokerId, BrokerEpoch, offset, wantFence: false, _wantShutDown)).ConfigureAwait(false);
        }
        else
        {
            var request = new BrokerHeartbeatRequest { BrokerId = _brokerId, BrokerEpoch = BrokerEpoch, CurrentMetadataOffset = offset, WantShutDown = _wantShutDown };
            var response = await _channel.SendAsync<BrokerHeartbeatResponse>(request, BrokerHeartbeatRequest.HighestVersion).ConfigureAwait(false);
            reply = response is null ? null : new HeartbeatReply((ErrorCode)response.ErrorCode, response.IsCaughtUp, response.IsFenced, response.ShouldShutDown);
        }
        return reply is null || reply.Error == ErrorCode.NotController ? null : reply;
    }

    private static async Task<T?> Local<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (NotControllerException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        Lease.RenewalWanted -= Kick;
        _stop.Dispose();
        _kick.Dispose();
    }
}
