namespace Broker.Host.Cluster;

/// <summary>
/// How long this broker may trust its own metadata image about itself (a lease, as a Raft leader lease): until
/// <c>broker.session.timeout.ms</c> after it SENT the last heartbeat the active controller answered unfenced.
/// The controller fences a broker only a session after it last RECEIVED a heartbeat, which is later, so while the
/// lease holds no session fence can have moved this broker's leaderships away behind its back. A broker paused
/// (SIGSTOP) or cut off for longer than a session finds its lease expired when it runs again, and its image may
/// still name it leader of partitions the controller has moved. Kafka's brokers answer from such an image anyway
/// and rely on clients checking leader epochs (KIP-320); librdkafka before 2.1 does not, and follows a stale
/// "leader" back to this broker for as long as it answers so. So while the lease is expired, Metadata and
/// FindCoordinator wait (bounded) for the next unfenced heartbeat answer and Produce is refused with
/// NOT_LEADER_OR_FOLLOWER. The controller unfences a broker it fenced only once the broker reports a metadata
/// offset past the fencing batch (<c>ControllerDecisions.CatchUpAfter</c>), so a renewed lease also means the image
/// already shows where the leaderships went. A single node (the only voter) is its own authority: always valid.
/// </summary>
public sealed class BrokerMetadataLease
{
    private readonly Lock _lock = new();
    private readonly long _durationMs;
    private long _validUntilMs;
    private TaskCompletionSource _renewed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BrokerMetadataLease(long durationMs, long validUntilMs)
    {
        _durationMs = durationMs;
        _validUntilMs = validUntilMs;
    }

    /// <summary>A lease of <paramref name="sessionTimeoutMs"/> per unfenced heartbeat answer; expired until the first.</summary>
    public static BrokerMetadataLease FromHeartbeats(long sessionTimeoutMs) => new(sessionTimeoutMs, long.MinValue);

    /// <summary>Always valid (the node is the only voter of its metadata log).</summary>
    public static BrokerMetadataLease Always() => new(0, long.MaxValue);

    /// <summary>Raised (on the caller's thread) when someone finds the lease expired: heartbeat now rather than at the next interval.</summary>
    public event Action? RenewalWanted;

    public bool IsValid => Environment.TickCount64 < Volatile.Read(ref _validUntilMs);

    /// <summary>Milliseconds the lease still holds (0 when expired).</summary>
    public long RemainingMs => Math.Max(0, Volatile.Read(ref _validUntilMs) - Environment.TickCount64);

    /// <summary>The controller answered a heartbeat sent at <paramref name="heartbeatSentAtMs"/> (Environment.TickCount64): unfenced.</summary>
    public void Renew(long heartbeatSentAtMs)
    {
        TaskCompletionSource renewed;
        lock (_lock)
        {
            if (_validUntilMs == long.MaxValue)
            {
                return;
            }
            _validUntilMs = Math.Max(_validUntilMs, heartbeatSentAtMs + _durationMs);
            renewed = _renewed;
            _renewed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        renewed.TrySetResult();
    }

    /// <summary>The controller answered that this broker is fenced (or no longer registered): the lease ends now.</summary>
    public void Revoke()
    {
        lock (_lock)
        {
            if (_validUntilMs != long.MaxValue)
            {
                _validUntilMs = long.MinValue;
            }
        }
    }

    /// <summary>True once the lease is valid, false when <paramref name="timeout"/> passes first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout)
    {
        if (IsValid)
        {
            return true;
        }
        RenewalWanted?.Invoke();
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            Task renewed;
            lock (_lock)
            {
                renewed = _renewed.Task;
            }
            if (IsValid)
            {
                return true;
            }
            var left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return false;
            }
            await renewed.WaitAsync(TimeSpan.FromMilliseconds(left)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
