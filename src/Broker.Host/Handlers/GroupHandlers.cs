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

    public void FindCoordinator(RequestContext request)
    {
        var find = request.Decode<FindCoordinatorRequest>();
        // Start creating and replaying __consumer_offsets now, so the first group request does not wait for it.
        _ = Loader.EnsureReadyAsync().ContinueWith(t => t.Exception, TaskScheduler.Default);
        var (host, port) = Endpoint();
        var response = new FindCoordinatorResponse();
        if (request.ApiVersion >= 4)
        {
            foreach (var key in find.CoordinatorKeys)
            {
                var error = Check(find.KeyType, key);
                response.Coordinators.Add(new FindCoordinatorResponse.Coordinator
                {
                    Key = key,
                    NodeId = error == ErrorCode.None ? node.Settings.NodeId : -1,
                    Host = error == ErrorCode.None ? host : string.Empty,
                    Port = error == ErrorCode.None ? port : -1,
                    ErrorCode = (short)error,
                    ErrorMessage = null,
                });
            }
        }
        else
        {
            var error = Check(find.KeyType, find.Key);
            response.ErrorCode = (short)error;
            response.ErrorMessage = null;
            response.NodeId = error == ErrorCode.None ? node.Settings.NodeId : -1;
            response.Host = error == ErrorCode.None ? host : string.Empty;
            response.Port = error == ErrorCode.None ? port : -1;
        }
        request.Respond(response);
    }

    private static ErrorCode Check(sbyte keyType, string key) => keyType switch
    {
        0 => string.IsNullOrEmpty(key) ? ErrorCode.InvalidGroupId : ErrorCode.None,
        // Transaction coordinators are not served yet.
        _ => ErrorCode.CoordinatorNotAvailable,
    };

    private (string Host, int Port) Endpoint()
    {
        if (node.Metadata.Current.Brokers.TryGetValue(node.Settings.NodeId, out var self))
        {
            return (self.Host, self.Port);
        }
        var listener = node.Settings.AdvertisedListeners.Count > 0 ? node.Settings.AdvertisedListeners[0] : node.Settings.Listeners[0];
        return (listener.Host, node.Port);
    }

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
