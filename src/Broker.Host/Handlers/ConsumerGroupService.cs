using Broker.Actors.Group.Consumer;
using Broker.Actors.Metadata;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Handlers;

/// <summary>
/// Drives the KIP-848 state machine (<see cref="ConsumerGroupCoordinator"/>) on this node: one lock serializes
/// calls, a ticker passes the time for session and rebalance timeouts, and the records of every change are handed
/// to the group's __consumer_offsets partition under that lock (so they land in the order they were applied) and
/// awaited before the request is answered. The records of the partition are replayed into it on load.
/// </summary>
internal sealed class ConsumerGroupService : IDisposable
{
    private readonly object _lock = new();
    private readonly ConsumerGroupCoordinator _machine;
    private readonly BrokerNode _node;
    private readonly Func<OffsetsTopicLoader> _log;
    private readonly ILogger _logger;
    private readonly Timer _ticker;
    private bool _loaded;

    public ConsumerGroupService(BrokerNode node, ConsumerGroupConfig config, Func<string, bool> classicGroupInUse, Func<OffsetsTopicLoader> log, ILogger logger)
    {
        _node = node;
        _log = log;
        _logger = logger;
        _machine = new ConsumerGroupCoordinator(config, classicGroupInUse);
        _ticker = new Timer(_ => Tick(), null, 200, 200);
    }

    private static long Now => Environment.TickCount64;

    private MetadataTopics Topics => new(_node.Metadata.Current);

    /// <summary>A record read back from __consumer_offsets while the partitions load.</summary>
    public void Replay(byte[] key, byte[]? value)
    {
        if (CoordinatorRecord.Parse(key, value) is { } record)
        {
            lock (_lock)
            {
                _machine.Replay(record);
            }
        }
    }

    /// <summary>Waits for __consumer_offsets to be replayed; the first time, every replayed member's session starts.</summary>
    public async Task EnsureLoadedAsync()
    {
        await _log().EnsureReadyAsync().ConfigureAwait(false);
        lock (_lock)
        {
            if (!_loaded)
            {
                _machine.OnLoaded(Now);
                _loaded = true;
            }
        }
    }

    public bool IsConsumerGroup(string groupId)
    {
        lock (_lock)
        {
            return _machine.IsConsumerGroup(groupId);
        }
    }

    public async Task<ConsumerGroupHeartbeatResponse> HeartbeatAsync(ConsumerGroupHeartbeatRequest request, string clientId, string clientHost)
    {
        CoordinatorResult<ConsumerGroupHeartbeatResponse> result;
        Task<ErrorCode> appended;
        lock (_lock)
        {
            result = _machine.Heartbeat(request, clientId, clientHost, Now, Topics);
            appended = Append(request.GroupId, result.Records);
        }
        var error = await appended.ConfigureAwait(false);
        return error == ErrorCode.None
            ? result.Response
            : new ConsumerGroupHeartbeatResponse { ErrorCode = (short)error, ErrorMessage = "The group records could not be written." };
    }

    public List<ConsumerGroupDescribeResponse.DescribedGroup> Describe(IEnumerable<string> groupIds)
    {
        lock (_lock)
        {
            var topics = Topics;
            return groupIds.Select(id => _machine.Describe(id, topics)).ToList();
        }
    }

    public List<(string GroupId, string State)> List()
    {
        lock (_lock)
        {
            return _machine.List().ToList();
        }
    }

    public ErrorCode? ValidateOffsetCommit(string groupId, string memberId, int memberEpoch, short apiVersion)
    {
        lock (_lock)
        {
            return _machine.ValidateOffsetCommit(groupId, memberId, memberEpoch, apiVersion);
        }
    }

    public ErrorCode? ValidateOffsetFetch(string groupId, string? memberId, int memberEpoch)
    {
        lock (_lock)
        {
            return _machine.ValidateOffsetFetch(groupId, memberId, memberEpoch);
        }
    }

    /// <summary>DeleteGroups of a consumer group (only empty ones); null when the id is not a consumer group.</summary>
    public async Task<ErrorCode?> DeleteAsync(string groupId)
    {
        Task<ErrorCode> appended;
        ErrorCode error;
        lock (_lock)
        {
            if (_machine.DeleteGroup(groupId) is not { } result)
            {
                return null;
            }
            error = result.Response;
            appended = Append(groupId, result.Records);
        }
        var stored = await appended.ConfigureAwait(false);
        return error != ErrorCode.None ? error : stored;
    }

    private Task<ErrorCode> Append(string groupId, IReadOnlyList<CoordinatorRecord> records) =>
        records.Count == 0
            ? Task.FromResult(ErrorCode.None)
            : _log().StartAppend(groupId, records.Select(r => (r.KeyBytes(), r.ValueBytes())).ToList());

    private void Tick()
    {
        try
        {
            if (_node.System.WhenTerminated.IsCompleted)
            {
                // The node stopped: nothing to time any more (the handlers have no dispose hook).
                _ticker.Dispose();
                return;
            }
            lock (_lock)
            {
                if (!_loaded)
                {
                    return;
                }
                var records = _machine.Tick(Now, Topics);
                foreach (var byGroup in records.GroupBy(r => r.GroupId))
                {
                    var groupId = byGroup.Key;
                    _ = Append(groupId, byGroup.ToList()).ContinueWith(t =>
                    {
                        if (t.IsFaulted || t.Result != ErrorCode.None)
                        {
                            _logger.LogWarning("writing the timeout records of group {Group} failed: {Error}", groupId, t.IsFaulted ? t.Exception!.Message : t.Result);
                        }
                    }, TaskScheduler.Default);
                }
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "consumer group tick failed");
        }
    }

    public void Dispose() => _ticker.Dispose();

    /// <summary>The published metadata image as the group coordinator reads topics.</summary>
    private sealed class MetadataTopics(MetadataImage image) : IConsumerGroupTopics
    {
        public long Version => image.Offset;

        public TopicMetadata? ByName(string name) =>
            image.Topic(name) is { } t ? new TopicMetadata(t.Id, t.Name, t.Partitions.Length) : null;

        public TopicMetadata? ById(Guid id) =>
            image.Topic(id) is { } t ? new TopicMetadata(t.Id, t.Name, t.Partitions.Length) : null;
    }
}
