using Broker.Actors.Group;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// FindCoordinator and the classic membership APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup).
/// Each request becomes a message to the coordinator shard of its group (<see cref="GroupCoordinator"/>);
/// the shard answers through a callback, so no I/O loop waits on a rebalance.
/// </summary>
internal sealed partial class GroupHandlers(BrokerNode node)
{
    private OffsetsTopicLoader? _offsetsLoader;

    private readonly object _loaderLock = new();

    /// <summary>__consumer_offsets and its shards (classic and KIP-848 groups alike).</summary>
    private OffsetsTopicLoader Loader
    {
        get
        {
            lock (_loaderLock)
            {
                return _offsetsLoader ??= new OffsetsTopicLoader(node, OffsetsTopicLoader.SettingsOf(node));
            }
        }
    }

    /// <summary>The coordinator (shards loaded, __consumer_offsets replayed), or null when it cannot come up now.</summary>
    public ValueTask<GroupCoordinator?> CoordinatorAsync()
    {
        var ready = Loader.EnsureReadyAsync();
        return ready.IsCompletedSuccessfully ? new(ready.Result) : Slow(ready);

        static async ValueTask<GroupCoordinator?> Slow(Task<GroupCoordinator> ready)
        {
            await ((Task)ready).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return ready.IsCompletedSuccessfully ? ready.Result : null;
        }
    }

    /// <summary>Routes a request to its shard; without a coordinator the client is told to retry.</summary>
    private async ValueTask SendAsync(GroupRequest message)
    {
        var coordinator = await CoordinatorAsync().ConfigureAwait(false);
        if (coordinator is null)
        {
            message.Fail(ErrorCode.CoordinatorNotAvailable);
        }
        else
        {
            coordinator.Send(message);
        }
    }

    /// <summary>
    /// FindCoordinator: a group's coordinator is the leader of its __consumer_offsets partition, answered with that
    /// broker's advertised endpoint from the metadata image (COORDINATOR_NOT_AVAILABLE while the partition has no
    /// live leader, or the topic cannot be created yet). The first lookup creates the topic, as Kafka's does.
    /// </summary>
    public async ValueTask FindCoordinatorAsync(RequestContext request)
    {
        var find = request.Decode<FindCoordinatorRequest>();
        var partitions = await OffsetsTopicPartitionsAsync().ConfigureAwait(false);
        // Start this node's coordinator (it follows leadership from now on), so a group moved here is served at once.
        _ = Loader.EnsureReadyAsync().ContinueWith(t => t.Exception, TaskScheduler.Default);
        // As Metadata: with its lease expired this node's image may name it coordinator of groups that moved away.
        var leaseValid = await node.MetadataLease.WaitAsync(MetadataHandler.LeaseWait).ConfigureAwait(false);
        var unconfirmed = leaseValid ? -1 : node.Settings.NodeId;
        var image = node.Metadata.Current;
        var response = new FindCoordinatorResponse();
        if (request.ApiVersion >= 4)
        {
            foreach (var key in find.CoordinatorKeys)
            {
                var (error, id, host, port) = Lookup(image, partitions, find.KeyType, key, unconfirmed);
                response.Coordinators.Add(new FindCoordinatorResponse.Coordinator
                {
                    Key = key, NodeId = id, Host = host, Port = port, ErrorCode = (short)error, ErrorMessage = null,
                });
            }
        }
        else
        {
            var (error, id, host, port) = Lookup(image, partitions, find.KeyType, find.Key, unconfirmed);
            response.ErrorCode = (short)error;
            response.ErrorMessage = null;
            response.NodeId = id;
            response.Host = host;
            response.Port = port;
        }
        request.Respond(response);
    }

    /// <summary>__consumer_offsets' partition count, creating the topic when missing; -1 when it cannot be had now.</summary>
    private async ValueTask<int> OffsetsTopicPartitionsAsync()
    {
        if (node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName) is { } topic)
        {
            return topic.Partitions.Length;
        }
        var created = Loader.EnsureTopicAsync();
        // Bounded: a client's FindCoordinator must not hang on a cluster that cannot create the topic yet.
        await ((Task)created).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return created.IsCompletedSuccessfully ? created.Result : -1;
    }

    private static (ErrorCode Error, int NodeId, string Host, int Port) Lookup(Broker.Actors.Metadata.MetadataImage image, int partitions, sbyte keyType, string key, int unconfirmedLeader)
    {
        var error = Check(keyType, key);
        if (error == ErrorCode.None)
        {
            if (partitions <= 0 || image.Topic(OffsetsTopicRecords.TopicName) is not { } topic || topic.Partitions.Length != partitions)
            {
                error = ErrorCode.CoordinatorNotAvailable;
            }
            else
            {
                var leader = topic.Partitions[GroupCoordinator.PartitionFor(key, partitions)].Leader;
                if (leader >= 0 && leader != unconfirmedLeader && image.Brokers.TryGetValue(leader, out var broker) && !broker.Fenced)
                {
                    return (ErrorCode.None, broker.NodeId, broker.Host, broker.Port);
                }
                error = ErrorCode.CoordinatorNotAvailable;
            }
        }
        return (error, -1, string.Empty, -1);
    }

    private static ErrorCode Check(sbyte keyType, string key) => keyType switch
    {
        0 => string.IsNullOrEmpty(key) ? ErrorCode.InvalidGroupId : ErrorCode.None,
        // Transaction coordinators are not served yet.
        _ => ErrorCode.CoordinatorNotAvailable,
    };

    public async ValueTask JoinGroupAsync(RequestContext request)
    {
        var join = request.Decode<JoinGroupRequest>();
        var host = request.RemoteEndPoint?.ToString() ?? string.Empty;
        await SendAsync(new JoinGroup(join, request.ApiVersion, request.ClientId ?? string.Empty, "/" + host, result =>
        {
            var response = new JoinGroupResponse
            {
                ErrorCode = result.ErrorCode,
                GenerationId = result.GenerationId,
                ProtocolType = result.ProtocolType,
                ProtocolName = request.ApiVersion >= 7 ? result.ProtocolName : result.ProtocolName ?? string.Empty,
                Leader = result.Leader,
                MemberId = result.MemberId,
                SkipAssignment = result.SkipAssignment,
            };
            foreach (var (memberId, instanceId, metadata) in result.Members)
            {
                response.Members.Add(new JoinGroupResponse.JoinGroupResponseMember { MemberId = memberId, GroupInstanceId = instanceId, Metadata = metadata });
            }
            request.Respond(response);
        })).ConfigureAwait(false);
    }

    public ValueTask SyncGroupAsync(RequestContext request)
    {
        var sync = request.Decode<SyncGroupRequest>();
        return SendAsync(new SyncGroup(sync, result => request.Respond(new SyncGroupResponse
        {
            ErrorCode = result.ErrorCode,
            ProtocolType = result.ProtocolType,
            ProtocolName = result.ProtocolName,
            Assignment = result.Assignment,
        })));
    }

    public ValueTask HeartbeatAsync(RequestContext request)
    {
        var heartbeat = request.Decode<HeartbeatRequest>();
        return SendAsync(new Heartbeat(heartbeat, error => request.Respond(new HeartbeatResponse { ErrorCode = (short)error })));
    }

    public ValueTask LeaveGroupAsync(RequestContext request)
    {
        var leave = request.Decode<LeaveGroupRequest>();
        IReadOnlyList<(string, string?)> leaving = request.ApiVersion >= 3
            ? leave.Members.Select(m => (m.MemberId, m.GroupInstanceId)).ToList()
            : [(leave.MemberId, (string?)null)];
        return SendAsync(new LeaveGroup(leave.GroupId, leaving, result =>
        {
            var response = new LeaveGroupResponse { ErrorCode = (short)result.Error };
            if (request.ApiVersion >= 3)
            {
                foreach (var (memberId, instanceId, memberError) in result.Members)
                {
                    response.Members.Add(new LeaveGroupResponse.MemberResponse { MemberId = memberId, GroupInstanceId = instanceId, ErrorCode = (short)memberError });
                }
            }
            else if (result.Error == ErrorCode.None && result.Members.Count == 1)
            {
                response.ErrorCode = (short)result.Members[0].Error;
            }
            request.Respond(response);
        }));
    }

    /// <summary>Sends one message per item and calls <paramref name="done"/> (on the last answering shard) with the answers in order.</summary>
    private static void FanOut<T>(int count, Action<int, Action<T>> send, Action<T[]> done)
    {
        var results = new T[count];
        if (count == 0)
        {
            done(results);
            return;
        }
        var remaining = count;
        for (var i = 0; i < count; i++)
        {
            var index = i;
            send(index, result =>
            {
                results[index] = result;
                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    done(results);
                }
            });
        }
    }
}
