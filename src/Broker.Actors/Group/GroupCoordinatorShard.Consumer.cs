using Broker.Actors.Group.Consumer;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Group;

/// <summary>
/// The KIP-848 consumer groups of this shard. <see cref="ConsumerGroupCoordinator"/> decides (pure, no clock of its
/// own) and returns records without applying them; the shard appends them to its partition and replays them into
/// the coordinator only once the append succeeded, so every reader sees committed state and a failed append leaves
/// the group as it was (the client gets Kafka's mapping of the log error). While a group's records are in flight,
/// later messages for that group wait in order behind them: each change is computed on the state before it.
/// </summary>
public sealed partial class GroupCoordinatorShard
{
    private readonly ConsumerGroupCoordinator _consumer;
    private readonly Func<IConsumerGroupTopics> _topics;

    /// <summary>Consumer groups whose records are being appended, with what arrived for them meanwhile.</summary>
    private readonly Dictionary<string, Queue<object>> _consumerWrites = new(StringComparer.Ordinal);

    /// <summary>A classic group with members (or rebalancing) keeps its id from the consumer protocol, as in Kafka 3.7+.</summary>
    private bool IsClassicGroupInUse(string groupId) => _groups.GetValueOrDefault(groupId) is ClassicGroup { IsEmpty: false };

    /// <summary>Queues a message for a group whose consumer records are in flight; false when it can run now.</summary>
    private bool WaitsForConsumerWrite(object message)
    {
        var groupId = message switch
        {
            GroupRequest request => request.GroupId,
            ConsumerSessionTimeout timeout => timeout.GroupId,
            ConsumerRebalanceTimeout timeout => timeout.GroupId,
            _ => null,
        };
        if (groupId is null || !_consumerWrites.TryGetValue(groupId, out var waiting))
        {
            return false;
        }
        waiting.Enqueue(message);
        return true;
    }

    private void HandleConsumerHeartbeat(ConsumerGroupHeartbeat heartbeat)
    {
        var result = _consumer.Heartbeat(heartbeat.Request, heartbeat.ClientId, heartbeat.ClientHost, NowMs, _topics());
        AppendConsumerRecords(heartbeat.GroupId, result.Records, error => heartbeat.Respond(error == ErrorCode.None
            ? result.Response
            : new ConsumerGroupHeartbeatResponse { ErrorCode = (short)error, ErrorMessage = $"The records of group {heartbeat.GroupId} could not be written." }));
    }

    /// <summary>DeleteGroups of an empty consumer group: its tombstones and its offsets', applied once written.</summary>
    private void DeleteConsumerGroup(DeleteGroup delete)
    {
        var groupId = delete.GroupId;
        var result = _consumer.DeleteGroup(groupId);
        if (result is null || result.Response != ErrorCode.None)
        {
            delete.Respond(result?.Response ?? ErrorCode.GroupIdNotFound);
            return;
        }
        var offsetTombstones = new List<(byte[] Key, byte[]? Value)>();
        if (_offsets.TryGetValue(groupId, out var offsets))
        {
            foreach (var (topic, partition) in offsets.Keys)
            {
                offsetTombstones.Add((OffsetsTopicRecords.OffsetCommitKeyBytes(groupId, topic, partition), null));
            }
        }
        AppendConsumerRecords(groupId, result.Records, error =>
        {
            if (error == ErrorCode.None && !_unloaded)
            {
                _offsets.Remove(groupId);
            }
            delete.Respond(error);
        }, offsetTombstones);
    }

    /// <summary>
    /// Appends a change of one consumer group and applies it once appended; <paramref name="then"/> gets the
    /// client's error (None: written and applied). Nothing to write answers at once.
    /// </summary>
    private void AppendConsumerRecords(string groupId, IReadOnlyList<CoordinatorRecord> records, Action<ErrorCode> then,
        List<(byte[] Key, byte[]? Value)>? alsoWrite = null)
    {
        if (records.Count == 0 && alsoWrite is not { Count: > 0 })
        {
            then(ErrorCode.None);
            return;
        }
        var batch = new List<(byte[] Key, byte[]? Value)>(records.Count + 1 + (alsoWrite?.Count ?? 0));
        // A consumer group taking the id of an empty classic group: the classic group's tombstone first, as Kafka writes it.
        var replacesClassic = records.Count > 0 && _groups.GetValueOrDefault(groupId) is ClassicGroup;
        if (replacesClassic)
        {
            batch.Add((OffsetsTopicRecords.GroupMetadataKeyBytes(groupId), null));
        }
        foreach (var r in records)
        {
            batch.Add((r.KeyBytes(), r.ValueBytes()));
        }
        if (alsoWrite is not null)
        {
            batch.AddRange(alsoWrite);
        }
        _consumerWrites[groupId] = new Queue<object>();
        Write(batch, error =>
        {
            if (_unloaded)
            {
                // The waiters were told NOT_COORDINATOR; the new coordinator replays whatever was written.
                then(error);
                return;
            }
            if (error == ErrorCode.None)
            {
                if (replacesClassic && _groups.GetValueOrDefault(groupId) is ClassicGroup)
                {
                    _groups.Remove(groupId);
                }
                foreach (var r in records)
                {
                    ApplyConsumerRecord(r);
                }
            }
            else
            {
                // Nothing was applied: the group is as it was; the timers the change moved or cancelled start over from now.
                Log.LogWarning("__consumer_offsets-{Partition}: the records of consumer group {Group} were not written: {Error}",
                    _log.Partition, groupId, error);
                _consumer.RestartTimers(groupId, NowMs);
            }
            then(error);
            ResumeAfterConsumerWrite(groupId);
        });
    }

    /// <summary>A consumer-group record, from the log on load or just appended: the coordinator and the shard's groups follow it.</summary>
    private void ApplyConsumerRecord(CoordinatorRecord record)
    {
        _consumer.Replay(record);
        var groupId = record.GroupId;
        if (_consumer.Group(groupId) is { } group)
        {
            // Also over an empty classic entry that only held offsets (logs written before classic tombstones were).
            _groups[groupId] = group;
        }
        else if (_groups.GetValueOrDefault(groupId) is ConsumerGroup)
        {
            _groups.Remove(groupId);
        }
    }

    /// <summary>Runs what waited for the group's write, in arrival order (a message that writes again makes the rest wait again).</summary>
    private void ResumeAfterConsumerWrite(string groupId)
    {
        if (!_consumerWrites.Remove(groupId, out var waiting))
        {
            return;
        }
        while (waiting.Count > 0)
        {
            OnReceive(waiting.Dequeue());
        }
    }

    private void FailConsumerWaiters(ErrorCode error)
    {
        foreach (var waiting in _consumerWrites.Values)
        {
            foreach (var message in waiting)
            {
                (message as GroupRequest)?.Fail(error);
            }
        }
        _consumerWrites.Clear();
    }
}
