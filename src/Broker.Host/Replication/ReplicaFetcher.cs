using System.Collections.Concurrent;
using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Broker.Host.Network.Client;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Replication;

/// <summary>Where a fetcher reaches its source broker (from the metadata image), and how it sends.</summary>
internal interface IReplicaFetchTransport
{
    /// <summary>Sends a replica Fetch to <paramref name="brokerId"/>; throws when it cannot be reached.</summary>
    Task<FetchResponse> FetchAsync(int brokerId, FetchRequest request, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>Settings of the follower fetch loop (Kafka's replica.fetch.* keys).</summary>
internal sealed record ReplicaFetcherSettings(int NodeId, int MaxWaitMs, int PartitionMaxBytes, int ResponseMaxBytes, int BackoffMs);

/// <summary>
/// Kafka's ReplicaFetcherThread: one loop per source broker copying every partition this node follows
/// there. Each round sends one Fetch (replica id = this node; per partition the log end as fetch
/// offset, the current leader epoch, the epoch of the last fetched batch) and hands the answer to each
/// partition's actor, the single writer: append as follower, truncate a diverging tail, or reset an
/// out-of-range position. The next round waits for those, so fetch offsets are always the log ends.
/// </summary>
internal sealed class ReplicaFetcher : IAsyncDisposable
{
    public const short FetchVersion = 12; // topic names, LastFetchedEpoch and DivergingEpoch

    private readonly ConcurrentDictionary<TopicPartition, PartitionHandle> _partitions = new();
    private readonly ConcurrentDictionary<TopicPartition, long> _delayedUntil = new();
    private readonly IReplicaFetchTransport _transport;
    private readonly ReplicaFetcherSettings _settings;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Task _loop;

    private readonly Func<bool> _paused;

    public ReplicaFetcher(int sourceBrokerId, IReplicaFetchTransport transport, ReplicaFetcherSettings settings, ILogger logger, Func<bool>? paused = null)
    {
        _paused = paused ?? (static () => false);
        SourceBrokerId = sourceBrokerId;
        _transport = transport;
        _settings = settings;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public int SourceBrokerId { get; }

    public int PartitionCount => _partitions.Count;

    public bool Contains(TopicPartition tp) => _partitions.ContainsKey(tp);

    public void Add(PartitionHandle handle)
    {
        // A new handle under the same name is a re-created topic: it replaces the old one.
        if (!_partitions.TryGetValue(handle.TopicPartition, out var existing) || !ReferenceEquals(existing, handle))
        {
            _partitions[handle.TopicPartition] = handle;
            _delayedUntil.TryRemove(handle.TopicPartition, out _);
            _wake.Release();
        }
    }

    public void Remove(TopicPartition tp)
    {
        _partitions.TryRemove(tp, out _);
        _delayedUntil.TryRemove(tp, out _);
    }

    /// <summary>Drops partitions for which <paramref name="exists"/> is false (their replica was removed).</summary>
    public void RemoveMissing(Func<TopicPartition, bool> exists)
    {
        foreach (var tp in _partitions.Keys)
        {
            if (!exists(tp))
            {
                Remove(tp);
            }
        }
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (!await FetchOnceAsync(token).ConfigureAwait(false))
                {
                    // Nothing to fetch (yet): wait for a partition to be added or a backoff to pass.
                    await _wake.WaitAsync(TimeSpan.FromMilliseconds(_settings.BackoffMs), token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogInformation("replica fetch from broker {Broker} failed: {Message}", SourceBrokerId, ex.Message);
                try
                {
                    await Task.Delay(_settings.BackoffMs, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One fetch round; false when no partition was ready to fetch.</summary>
    private async Task<bool> FetchOnceAsync(CancellationToken token)
    {
        var request = new FetchRequest
        {
            ReplicaId = _settings.NodeId,
            MaxWaitMs = _settings.MaxWaitMs,
            MinBytes = 1,
            MaxBytes = _settings.ResponseMaxBytes,
            IsolationLevel = 0,
            SessionId = 0,
            SessionEpoch = -1,
        };
        if (_paused())
        {
            return false;
        }
        var sent = new Dictionary<TopicPartition, (PartitionHandle Handle, int Epoch, long FetchOffset)>();
        var now = Environment.TickCount64;
        foreach (var (tp, handle) in _partitions)
        {
            var state = handle.State;
            // Only once the actor has become a follower of this broker (it may still be applying the image).
            if (!state.IsFollower || state.LeaderId != SourceBrokerId || handle.Log is not { } log
                || (_delayedUntil.TryGetValue(tp, out var until) && until > now))
            {
                continue;
            }
            var topic = request.Topics.Find(t => t.Topic == tp.Topic);
            if (topic is null)
            {
                topic = new FetchRequest.FetchTopic { Topic = tp.Topic };
                request.Topics.Add(topic);
            }
            var fetchOffset = log.LogEndOffset;
            topic.Partitions.Add(new FetchRequest.FetchPartition
            {
                Partition = tp.Partition,
                CurrentLeaderEpoch = state.LeaderEpoch,
                FetchOffset = fetchOffset,
                LastFetchedEpoch = log.LeaderEpochCache.LatestEpoch,
                LogStartOffset = log.LogStartOffset,
                PartitionMaxBytes = _settings.PartitionMaxBytes,
            });
            sent[tp] = (handle, state.LeaderEpoch, fetchOffset);
        }
        if (sent.Count == 0)
        {
            return false;
        }
        var response = await _transport.FetchAsync(SourceBrokerId, request, TimeSpan.FromMilliseconds(_settings.MaxWaitMs + 30_000), token).ConfigureAwait(false);
        if (_paused())
        {
            return true; // paused while the fetch was in flight: drop the answer
        }
        if (response.ErrorCode != 0)
        {
            throw new InvalidOperationException($"fetch error {(ErrorCode)response.ErrorCode}");
        }
        var pending = new List<Task>(sent.Count);
        foreach (var topic in response.Responses)
        {
            foreach (var data in topic.Partitions)
            {
                var tp = new TopicPartition(topic.Topic, data.PartitionIndex);
                if (sent.TryGetValue(tp, out var s))
                {
                    pending.Add(HandlePartitionAsync(tp, s.Handle, s.Epoch, s.FetchOffset, data));
                }
            }
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
        return true;
    }

    private async Task HandlePartitionAsync(TopicPartition tp, PartitionHandle handle, int epoch, long fetchOffset, FetchResponse.PartitionData data)
    {
        switch ((ErrorCode)data.ErrorCode)
        {
            case ErrorCode.None when data.DivergingEpoch.EndOffset >= 0 || data.DivergingEpoch.Epoch >= 0:
            {
                var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                handle.Actor.Tell(new TruncateOnDivergence(data.DivergingEpoch.Epoch, data.DivergingEpoch.EndOffset, epoch, done));
                await AnswerAsync(done.Task, handle).ConfigureAwait(false);
                break;
            }
            case ErrorCode.None:
            {
                var done = new TaskCompletionSource<ErrorCode>(TaskCreationOptions.RunContinuationsAsynchronously);
                handle.Actor.Tell(new AppendReplicated(data.Records ?? ReadOnlyMemory<byte>.Empty, epoch, data.HighWatermark, data.LogStartOffset, done));
                var error = await AnswerAsync(done.Task, handle).ConfigureAwait(false) ?? ErrorCode.None;
                if (error != ErrorCode.None)
                {
                    _logger.LogInformation("replica {Partition}: append at {Offset} from broker {Broker} failed: {Error}", tp, fetchOffset, SourceBrokerId, error);
                    Delay(tp);
                }
                break;
            }
            case ErrorCode.OffsetOutOfRange:
            {
                var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                handle.Actor.Tell(new ResetFetchOffset(data.LogStartOffset, data.HighWatermark, epoch, done));
                await AnswerAsync(done.Task, handle).ConfigureAwait(false);
                break;
            }
            default:
                // NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH...: one of us is behind
                // on metadata; back off until the image catches up.
                Delay(tp);
                break;
        }
    }

    /// <summary>
    /// The actor's answer, or null when its replica stopped first (deleted or moved away while the fetch was in
    /// flight: it never answers, and waiting for it stalled every partition of this source for the timeout) or the
    /// fetcher stops. The timeout is the last resort for an actor that lives but does not answer.
    /// </summary>
    private async Task<T?> AnswerAsync<T>(Task<T> answer, PartitionHandle handle) where T : struct
    {
        await Task.WhenAny(answer, handle.Stopped).WaitAsync(AnswerTimeout, _stop.Token).ConfigureAwait(false);
        return answer.IsCompletedSuccessfully ? answer.Result : null;
    }

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    private void Delay(TopicPartition tp) => _delayedUntil[tp] = Environment.TickCount64 + _settings.BackoffMs;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        _stop.Dispose();
        _wake.Dispose();
    }
}
