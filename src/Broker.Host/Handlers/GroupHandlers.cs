using Broker.Actors.Configs;
using Broker.Actors.Group;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// FindCoordinator and the classic membership APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup).
/// This single node coordinates every group; the answers come from <see cref="GroupCoordinator"/>.
/// </summary>
internal sealed partial class GroupHandlers(BrokerNode node)
{
    public GroupCoordinator Coordinator { get; } = new(new GroupCoordinatorSettings(
        (int)Number(node, BrokerConfigs.GroupMinSessionTimeoutMs),
        (int)Number(node, BrokerConfigs.GroupMaxSessionTimeoutMs),
        Number(node, BrokerConfigs.GroupInitialRebalanceDelayMs),
        (int)Number(node, BrokerConfigs.GroupMaxSize),
        (int)Number(node, BrokerConfigs.OffsetsTopicNumPartitions)));

    private GroupOffsetsLog? _offsetsLog;

    /// <summary>__consumer_offsets: where committed offsets outlive the process.</summary>
    public GroupOffsetsLog OffsetsLog => _offsetsLog ??= new GroupOffsetsLog(node, Coordinator, (int)Number(node, BrokerConfigs.OffsetsTopicNumPartitions))
    {
        OtherRecord = (key, value) => ConsumerGroups.Replay(key, value),
    };

    // Durations are longs, counts ints: read either without caring which.
    private static long Number(BrokerNode node, string key) =>
        Convert.ToInt64(node.Settings.Values[key], System.Globalization.CultureInfo.InvariantCulture);

    public void FindCoordinator(RequestContext request)
    {
        var find = request.Decode<FindCoordinatorRequest>();
        // Start creating and replaying __consumer_offsets now, so the first commit or fetch does not wait for it.
        _ = OffsetsLog.EnsureReadyAsync().ContinueWith(t => t.Exception, TaskScheduler.Default);
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

    public void JoinGroup(RequestContext request)
    {
        var join = request.Decode<JoinGroupRequest>();
        if (ConsumerGroups.IsConsumerGroup(join.GroupId))
        {
            // Kafka: a group of the consumer protocol is not a classic group.
            request.Respond(new JoinGroupResponse { ErrorCode = (short)ErrorCode.GroupIdNotFound, MemberId = join.MemberId, GenerationId = -1, ProtocolName = request.ApiVersion >= 7 ? null : string.Empty });
            return;
        }
        var host = request.RemoteEndPoint?.ToString() ?? string.Empty;
        Coordinator.Join(join, request.ApiVersion, request.ClientId ?? string.Empty, "/" + host, result =>
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
        });
    }

    public void SyncGroup(RequestContext request)
    {
        var sync = request.Decode<SyncGroupRequest>();
        Coordinator.Sync(sync, result => request.Respond(new SyncGroupResponse
        {
            ErrorCode = result.ErrorCode,
            ProtocolType = result.ProtocolType,
            ProtocolName = result.ProtocolName,
            Assignment = result.Assignment,
        }));
    }

    public void Heartbeat(RequestContext request)
    {
        var heartbeat = request.Decode<HeartbeatRequest>();
        request.Respond(new HeartbeatResponse { ErrorCode = (short)Coordinator.Heartbeat(heartbeat) });
    }

    public void LeaveGroup(RequestContext request)
    {
        var leave = request.Decode<LeaveGroupRequest>();
        var leaving = request.ApiVersion >= 3
            ? leave.Members.Select(m => (m.MemberId, m.GroupInstanceId)).ToList()
            : [(leave.MemberId, (string?)null)];
        var (error, members) = Coordinator.Leave(leave.GroupId, leaving);
        var response = new LeaveGroupResponse { ErrorCode = (short)error };
        if (request.ApiVersion >= 3)
        {
            foreach (var (memberId, instanceId, memberError) in members)
            {
                response.Members.Add(new LeaveGroupResponse.MemberResponse { MemberId = memberId, GroupInstanceId = instanceId, ErrorCode = (short)memberError });
            }
        }
        else if (error == ErrorCode.None && members.Count == 1)
        {
            response.ErrorCode = (short)members[0].Error;
        }
        request.Respond(response);
    }
}
