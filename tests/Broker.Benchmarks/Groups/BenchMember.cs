using System.Diagnostics;
using Broker.Host.Network.Client;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Benchmarks.Groups;

/// <summary>
/// One classic-protocol group member as a consumer drives it: JoinGroup (with the member-id-required
/// round trip of v4+), the leader's assignment in SyncGroup, heartbeats, and a rejoin whenever the
/// coordinator says the group is rebalancing. Holds no assignor: the caller's delegate assigns.
/// </summary>
internal sealed class BenchMember(NodeConnection connection, Wire wire, string groupId, byte[] subscription, int sessionTimeoutMs, int rebalanceTimeoutMs)
{
    // A JoinGroup waits for the whole group: allow the rebalance timeout and then some.
    private static readonly TimeSpan LongWait = TimeSpan.FromMinutes(5);

    public NodeConnection Connection { get; } = connection;

    public string GroupId { get; } = groupId;

    public string MemberId { get; private set; } = string.Empty;

    public int Generation { get; private set; } = -1;

    public bool IsLeader { get; private set; }

    public ReadOnlyMemory<byte> Assignment { get; private set; }

    /// <summary>Stopwatch timestamp of this member's first JoinGroup, and of its last successful SyncGroup answer.</summary>
    public long FirstJoinAt { get; private set; }

    public long SyncedAt { get; private set; }

    /// <summary>Stopwatch timestamps of the last JoinGroup sent and answered, and of the last SyncGroup sent.</summary>
    public long JoinSentAt { get; private set; }

    public long JoinedAt { get; private set; }

    public long SyncSentAt { get; private set; }

    /// <summary>Join/sync rounds past the first (a rebalance the member was caught in).</summary>
    public int Retries { get; private set; }

    /// <summary>The first JoinGroup: at v4+ the coordinator answers MEMBER_ID_REQUIRED with our id; below, this is the real join.</summary>
    public async Task<JoinGroupResponse?> RequestMemberIdAsync()
    {
        FirstJoinAt = Stopwatch.GetTimestamp();
        var join = await JoinAsync().ConfigureAwait(false);
        if (join.ErrorCode == (short)ErrorCode.MemberIdRequired)
        {
            MemberId = join.MemberId;
            return null;
        }
        return join;
    }

    /// <summary>Joins (again) with the member id, syncs, and repeats while the group rebalances under it.</summary>
    public async Task JoinAndSyncAsync(Func<List<JoinGroupResponse.JoinGroupResponseMember>, List<SyncGroupRequest.SyncGroupRequestAssignment>> assign,
        JoinGroupResponse? alreadyJoined = null)
    {
        if (FirstJoinAt == 0)
        {
            FirstJoinAt = Stopwatch.GetTimestamp();
        }
        for (var round = 0; round < 50; round++)
        {
            if (alreadyJoined is null)
            {
                JoinSentAt = Stopwatch.GetTimestamp();
            }
            var join = alreadyJoined ?? await JoinAsync().ConfigureAwait(false);
            alreadyJoined = null;
            JoinedAt = Stopwatch.GetTimestamp();
            Trace($"join -> {(ErrorCode)join.ErrorCode} gen {join.GenerationId} id {join.MemberId} leader {join.Leader} members {join.Members.Count}");
            switch ((ErrorCode)join.ErrorCode)
            {
                case ErrorCode.None:
                    break;
                case ErrorCode.MemberIdRequired:
                    MemberId = join.MemberId;
                    continue;
                case ErrorCode.UnknownMemberId:
                    MemberId = string.Empty;
                    Retries++;
                    continue;
                case ErrorCode.RebalanceInProgress:
                    Retries++;
                    continue;
                default:
                    throw new InvalidOperationException($"JoinGroup {GroupId}: {(ErrorCode)join.ErrorCode}");
            }
            MemberId = join.MemberId;
            Generation = join.GenerationId;
            IsLeader = join.Leader == MemberId;
            if (IsLeader && LeaderSyncDelayMs > 0)
            {
                await Task.Delay(LeaderSyncDelayMs).ConfigureAwait(false);
            }
            var sync = new SyncGroupRequest
            {
                GroupId = GroupId,
                GenerationId = Generation,
                MemberId = MemberId,
                ProtocolType = "consumer",
                ProtocolName = join.ProtocolName,
                Assignments = IsLeader ? assign(join.Members) : [],
            };
            SyncSentAt = Stopwatch.GetTimestamp();
            SyncGroupResponse synced;
            try
            {
                synced = await Connection.SendAsync<SyncGroupResponse>(sync, wire.Sync, LongWait).ConfigureAwait(false);
            }
            catch (ProtocolException)
            {
                Trace("sync -> null assignment");
                // librdkafka's mock cluster answers a failed SyncGroup with a null assignment, which the
                // spec does not allow: take it as the error it stands for and join again.
                Retries++;
                continue;
            }
            Trace($"sync -> {(ErrorCode)synced.ErrorCode}");
            if (synced.ErrorCode is (short)ErrorCode.RebalanceInProgress or (short)ErrorCode.IllegalGeneration)
            {
                Retries++;
                continue;
            }
            if (synced.ErrorCode != 0)
            {
                throw new InvalidOperationException($"SyncGroup {GroupId}: {(ErrorCode)synced.ErrorCode}");
            }
            Assignment = synced.Assignment.ToArray();
            SyncedAt = Stopwatch.GetTimestamp();
            return;
        }
        throw new InvalidOperationException($"{GroupId}/{MemberId}: no stable generation after 50 rounds");
    }

    /// <summary>
    /// librdkafka's mock cluster completes the sync with the leader's SyncGroup and fails followers
    /// whose SyncGroup arrives after it; its reference run makes the leader wait this long.
    /// </summary>
    public static int LeaderSyncDelayMs { get; set; }

    private static readonly bool Tracing = Environment.GetEnvironmentVariable("GBENCH_TRACE") == "1";

    private void Trace(string what)
    {
        if (Tracing)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {GroupId}/{MemberId}: {what}");
        }
    }

    public async Task<ErrorCode> HeartbeatAsync()
    {
        var heartbeat = new HeartbeatRequest { GroupId = GroupId, GenerationId = Generation, MemberId = MemberId };
        var response = await Connection.SendAsync<HeartbeatResponse>(heartbeat, wire.Heartbeat, LongWait).ConfigureAwait(false);
        return (ErrorCode)response.ErrorCode;
    }

    private Task<JoinGroupResponse> JoinAsync()
    {
        var join = new JoinGroupRequest
        {
            GroupId = GroupId,
            SessionTimeoutMs = sessionTimeoutMs,
            RebalanceTimeoutMs = rebalanceTimeoutMs,
            MemberId = MemberId,
            ProtocolType = "consumer",
            Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = subscription }],
        };
        return Connection.SendAsync<JoinGroupResponse>(join, wire.Join, LongWait);
    }

    /// <summary>The leader's side of a "one partition each" assignor: member i of the join answer gets partition i.</summary>
    public static Func<List<JoinGroupResponse.JoinGroupResponseMember>, List<SyncGroupRequest.SyncGroupRequestAssignment>> OnePartitionEach(string topic) =>
        members => members.Select((m, i) => new SyncGroupRequest.SyncGroupRequestAssignment
        {
            MemberId = m.MemberId,
            Assignment = ConsumerBytes.Assignment(topic, i),
        }).ToList();
}
