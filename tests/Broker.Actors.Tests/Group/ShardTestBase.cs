using Broker.Actors.Group;
using Broker.Actors.Kernel;
using Broker.Actors.Tests.TestKit;
using Broker.Protocol.Coordinator;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Actors.Tests.Group;

/// <summary>Drives a <see cref="GroupCoordinatorShard"/> with its messages; answers come back to probes.</summary>
public abstract class ShardTestBase : TestKit.TestKit
{
    internal static GroupCoordinatorSettings Settings(long initialDelayMs = 0) => new(100, 60_000, initialDelayMs, 1000, 1);

    internal ActorRef StartShard(MemoryOffsetsLog log, GroupCoordinatorSettings? settings = null) =>
        Sys.ActorOf(GroupCoordinatorShard.Props(log, settings ?? Settings()));

    /// <summary>A consumer-protocol subscription (ConsumerProtocolSubscription v1) to <paramref name="topics"/>.</summary>
    internal static byte[] Subscription(params string[] topics)
    {
        var s = new ConsumerProtocolSubscription { Topics = [.. topics] };
        var bytes = new byte[2 + s.Size(1)];
        var writer = new KafkaWriter(bytes);
        writer.WriteInt16(1);
        s.Write(ref writer, 1);
        return bytes;
    }

    internal static JoinGroupRequest JoinRequest(string group, string memberId = "", string? instanceId = null, int sessionMs = 6000,
        int rebalanceMs = 6000, string protocolType = "consumer", byte[]? metadata = null) => new()
    {
        GroupId = group,
        MemberId = memberId,
        GroupInstanceId = instanceId,
        SessionTimeoutMs = sessionMs,
        RebalanceTimeoutMs = rebalanceMs,
        ProtocolType = protocolType,
        Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = metadata ?? Subscription("t1") }],
    };

    /// <summary>Sends a JoinGroup; the answer arrives on the returned probe (maybe later, when the rebalance completes).</summary>
    internal TestProbe JoinAsync(ActorRef shard, JoinGroupRequest request, short version = 5)
    {
        var probe = CreateTestProbe();
        shard.Tell(new JoinGroup(request, version, "client", "/127.0.0.1", r => probe.Ref.Tell(r)));
        return probe;
    }

    internal JoinResult Join(ActorRef shard, JoinGroupRequest request, short version = 5) => JoinAsync(shard, request, version).ExpectMsg<JoinResult>();

    /// <summary>The v4+ two-step join of a dynamic member: MEMBER_ID_REQUIRED, then the real join.</summary>
    internal TestProbe JoinDynamicAsync(ActorRef shard, string group, int sessionMs = 6000, int rebalanceMs = 6000, byte[]? metadata = null,
        string protocolType = "consumer")
    {
        var first = Join(shard, JoinRequest(group, sessionMs: sessionMs, rebalanceMs: rebalanceMs, protocolType: protocolType, metadata: metadata));
        Assert.Equal((short)ErrorCode.MemberIdRequired, first.ErrorCode);
        return JoinAsync(shard, JoinRequest(group, first.MemberId, sessionMs: sessionMs, rebalanceMs: rebalanceMs, protocolType: protocolType, metadata: metadata));
    }

    internal TestProbe SyncAsync(ActorRef shard, string group, int generation, string memberId, params (string MemberId, byte[] Assignment)[] assignments)
    {
        var probe = CreateTestProbe();
        var request = new SyncGroupRequest { GroupId = group, GenerationId = generation, MemberId = memberId };
        foreach (var (m, a) in assignments)
        {
            request.Assignments.Add(new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = m, Assignment = a });
        }
        shard.Tell(new SyncGroup(request, r => probe.Ref.Tell(r)));
        return probe;
    }

    internal SyncResult Sync(ActorRef shard, string group, int generation, string memberId, params (string MemberId, byte[] Assignment)[] assignments) =>
        SyncAsync(shard, group, generation, memberId, assignments).ExpectMsg<SyncResult>();

    internal ErrorCode Heartbeat(ActorRef shard, string group, int generation, string memberId, string? instanceId = null) =>
        Ask<ErrorCode>(shard, done => new Heartbeat(new HeartbeatRequest { GroupId = group, GenerationId = generation, MemberId = memberId, GroupInstanceId = instanceId }, done));

    internal ErrorCode Commit(ActorRef shard, string group, int generation, string memberId, params (string Topic, int Partition, long Offset)[] offsets) =>
        Ask<ErrorCode>(shard, done => new CommitOffsets(group, generation, memberId, null,
            offsets.Select(o => new OffsetToCommit(o.Topic, o.Partition, new CommittedOffset(o.Offset, -1, "m", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()))).ToList(), done));

    internal FetchOffsetsResult Fetch(ActorRef shard, string group) =>
        Ask<FetchOffsetsResult>(shard, done => new FetchOffsets(group, null, false, done));

    internal long FetchOne(ActorRef shard, string group, string topic, int partition) =>
        Ask<FetchOffsetsResult>(shard, done => new FetchOffsets(group, [(topic, [partition])], true, done)).Offsets.Single().Offset?.Offset ?? -1;

    internal LeaveResult Leave(ActorRef shard, string group, params (string MemberId, string? InstanceId)[] members) =>
        Ask<LeaveResult>(shard, done => new LeaveGroup(group, members, done));

    internal GroupDescription Describe(ActorRef shard, string group) => Ask<GroupDescription>(shard, done => new DescribeGroup(group, done));

    internal ErrorCode DeleteGroup(ActorRef shard, string group) => Ask<ErrorCode>(shard, done => new DeleteGroup(group, done));

    /// <summary>Sends a callback message and waits for its one answer.</summary>
    internal T Ask<T>(ActorRef shard, Func<Action<T>, object> message)
    {
        var probe = CreateTestProbe();
        shard.Tell(message(r => probe.Ref.Tell(r!)));
        return probe.ExpectMsg<T>();
    }

    /// <summary>The GroupMetadata values written for <paramref name="group"/>, decoded with the generated types (null = tombstone).</summary>
    internal static List<GroupMetadataValue?> GroupRecords(MemoryOffsetsLog log, string group) =>
        log.Records.Where(r => OffsetsTopicRecords.KeyVersion(r.Key) == 2 && OffsetsTopicRecords.ReadGroupMetadataKey(r.Key).group == group)
            .Select(r => r.Value is null ? null : OffsetsTopicRecords.ReadGroupMetadataValue(r.Value))
            .ToList();
}
