using Broker.Actors.Group;
using Broker.Host.Configuration;
using Broker.Host.Network.Client;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Coordinator;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Host.Tests.Groups;

/// <summary>
/// The KIP-848 protocol end to end over real sockets: members heartbeat until they converge, leave and join,
/// commit with member epochs; ConsumerGroupDescribe, ListGroups and DescribeGroups see the group as Kafka 3.7+
/// does; the records in __consumer_offsets decode with the generated types; a restarted broker keeps the group.
/// </summary>
public sealed class ConsumerGroupProtocolTests
{
    private const string Topic = "kip848-orders";

    private static Dictionary<string, string?> Settings(string dir) => new()
    {
        ["node.id"] = "1",
        ["process.roles"] = "broker,controller",
        ["controller.quorum.voters"] = "1@127.0.0.1:9093",
        ["log.dirs"] = Path.Combine(dir, "logs"),
        ["listeners"] = "PLAINTEXT://127.0.0.1:0",
        ["offsets.topic.replication.factor"] = "1",
        ["offsets.topic.num.partitions"] = "5",
    };

    /// <summary>Heartbeats every member in turn until the group is Stable and every member holds its target; no partition ever has two owners.</summary>
    private static async Task<ConsumerGroupDescribeResponse.DescribedGroup> ConvergeAsync(NodeConnection admin, string group, IReadOnlyList<Kip848Client> members)
    {
        for (var round = 0; round < 50; round++)
        {
            foreach (var m in members)
            {
                var r = await m.HeartbeatAsync();
                Assert.True(r.ErrorCode == 0, $"heartbeat: {(ErrorCode)r.ErrorCode} {r.ErrorMessage}");
                var owned = members.SelectMany(x => x.OwnedPartitions).ToList();
                Assert.Equal(owned.Count, owned.Distinct().Count());
            }
            var d = await DescribeAsync(admin, group);
            if (d.GroupState == "Stable" && members.All(m => m.Epoch == d.AssignmentEpoch
                && m.OwnedCount == d.Members.Single(x => x.MemberId == m.MemberId).Assignment.TopicPartitions.Sum(t => t.Partitions.Count)))
            {
                return d;
            }
        }
        Assert.Fail("the group did not converge");
        return null!;
    }

    private static async Task<ConsumerGroupDescribeResponse.DescribedGroup> DescribeAsync(NodeConnection admin, string group)
    {
        var response = await admin.SendAsync<ConsumerGroupDescribeResponse>(new ConsumerGroupDescribeRequest { GroupIds = [group] }, 0);
        return Assert.Single(response.Groups);
    }

    private static OffsetCommitRequest Commit(string group, string memberId, int epoch, int partition, long offset) => new()
    {
        GroupId = group,
        MemberId = memberId,
        GenerationIdOrMemberEpoch = epoch,
        Topics = [new OffsetCommitRequest.OffsetCommitRequestTopic
        {
            Name = Topic,
            Partitions = [new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = partition, CommittedOffset = offset }],
        }],
    };

    [Fact]
    public async Task Three_members_converge_leave_join_commit_and_describe()
    {
        await using var broker = await InProcessBroker.StartAsync(Settings("unused").Where(kv => kv.Key.StartsWith("offsets.", StringComparison.Ordinal)).ToDictionary());
        await broker.CreateTopicAsync(Topic, partitions: 6);
        var topicId = broker.Node.Metadata.Current.Topic(Topic)!.Id;
        await using var admin = await NodeConnection.ConnectAsync("127.0.0.1", broker.Port, "admin");
        const string group = "kip848-group";

        var members = new List<Kip848Client>();
        for (var i = 0; i < 3; i++)
        {
            members.Add(await Kip848Client.ConnectAsync(broker.Port, group, [Topic], $"member-{i}"));
        }
        try
        {
            var described = await ConvergeAsync(admin, group, members);
            Assert.All(members, m => Assert.Equal(2, m.OwnedCount));
            Assert.Equal(3, described.Members.Count);
            Assert.Equal("uniform", described.AssignorName);
            Assert.Equal(described.GroupEpoch, described.AssignmentEpoch);
            var first = described.Members.Single(m => m.MemberId == members[0].MemberId);
            Assert.Equal(Topic, Assert.Single(first.Assignment.TopicPartitions).TopicName);
            Assert.Equal(topicId, first.Assignment.TopicPartitions[0].TopicId);
            Assert.Equal("member-0", first.ClientId);
            Assert.Equal([Topic], first.SubscribedTopicNames);

            // Commits carry the member epoch: the current one is accepted, an old one is stale.
            var p0 = members[0].Owned[topicId].First();
            var ok = await members[0].Connection.SendAsync<OffsetCommitResponse>(Commit(group, members[0].MemberId, members[0].Epoch, p0, 42), 9);
            Assert.Equal(0, ok.Topics[0].Partitions[0].ErrorCode);
            var stale = await members[0].Connection.SendAsync<OffsetCommitResponse>(Commit(group, members[0].MemberId, members[0].Epoch - 1, p0, 43), 9);
            Assert.Equal((short)ErrorCode.StaleMemberEpoch, stale.Topics[0].Partitions[0].ErrorCode);
            var stranger = await admin.SendAsync<OffsetCommitResponse>(Commit(group, "nobody", 1, p0, 43), 9);
            Assert.Equal((short)ErrorCode.UnknownMemberId, stranger.Topics[0].Partitions[0].ErrorCode);
            var fetched = await members[0].Connection.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest
            {
                Groups = [new OffsetFetchRequest.OffsetFetchRequestGroup
                {
                    GroupId = group, MemberId = members[0].MemberId, MemberEpoch = members[0].Epoch,
                    Topics = [new OffsetFetchRequest.OffsetFetchRequestTopics { Name = Topic, PartitionIndexes = [p0] }],
                }],
            }, 9);
            Assert.Equal(0, fetched.Groups[0].ErrorCode);
            Assert.Equal(42, fetched.Groups[0].Topics[0].Partitions[0].CommittedOffset);
            var staleFetch = await admin.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest
            {
                Groups = [new OffsetFetchRequest.OffsetFetchRequestGroup { GroupId = group, MemberId = members[0].MemberId, MemberEpoch = members[0].Epoch + 5 }],
            }, 9);
            Assert.Equal((short)ErrorCode.StaleMemberEpoch, staleFetch.Groups[0].ErrorCode);

            // One leaves, one joins: six partitions over three members again.
            var left = await members[1].LeaveAsync();
            Assert.Equal(0, left.ErrorCode);
            Assert.Equal(-1, left.MemberEpoch);
            await members[1].DisposeAsync();
            members.RemoveAt(1);
            await ConvergeAsync(admin, group, members);
            Assert.All(members, m => Assert.Equal(3, m.OwnedCount));
            members.Add(await Kip848Client.ConnectAsync(broker.Port, group, [Topic], "member-3"));
            described = await ConvergeAsync(admin, group, members);
            Assert.All(members, m => Assert.Equal(2, m.OwnedCount));
            Assert.Equal(3, described.Members.Count);

            // The classic APIs see it as Kafka 3.7+ does.
            var listed = await admin.SendAsync<ListGroupsResponse>(new ListGroupsRequest { TypesFilter = ["consumer"] }, 5);
            var row = Assert.Single(listed.Groups, g => g.GroupId == group);
            Assert.Equal(("consumer", "Stable", "consumer"), (row.ProtocolType, row.GroupState, row.GroupType));
            var classicOnly = await admin.SendAsync<ListGroupsResponse>(new ListGroupsRequest { TypesFilter = ["classic"] }, 5);
            Assert.DoesNotContain(classicOnly.Groups, g => g.GroupId == group);
            var describedClassic = await admin.SendAsync<DescribeGroupsResponse>(new DescribeGroupsRequest { Groups = [group] }, 5);
            Assert.Equal("Dead", describedClassic.Groups[0].GroupState);
            var join = await admin.SendAsync<JoinGroupResponse>(new JoinGroupRequest
            {
                GroupId = group, SessionTimeoutMs = 10_000, RebalanceTimeoutMs = 10_000, ProtocolType = "consumer",
                Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = new byte[] { 0 } }],
            }, 9);
            Assert.Equal((short)ErrorCode.GroupIdNotFound, join.ErrorCode);
            var deleteBusy = await admin.SendAsync<DeleteGroupsResponse>(new DeleteGroupsRequest { GroupsNames = [group] }, 2);
            Assert.Equal((short)ErrorCode.NonEmptyGroup, deleteBusy.Results[0].ErrorCode);

            // The group's records in __consumer_offsets decode with Kafka's coordinator types.
            var records = await ReadOffsetsPartitionAsync(admin, broker.Node, group);
            var types = records.Select(r => r.KeyVersion).ToHashSet();
            Assert.Equal(new HashSet<short> { 1, 3, 4, 5, 6, 7, 8 }, types);
            var lastEpoch = records.Last(r => r.KeyVersion == 3);
            var epochKey = Decode<ConsumerGroupMetadataKey>(lastEpoch.Key, 3);
            Assert.Equal(group, epochKey.GroupId);
            Assert.Equal(described.GroupEpoch, Decode<ConsumerGroupMetadataValue>(lastEpoch.Value!, 0).Epoch);
            var metadata = Decode<ConsumerGroupPartitionMetadataValue>(records.Last(r => r.KeyVersion == 4).Value!, 0);
            Assert.Equal((topicId, Topic, 6), (metadata.Topics[0].TopicId, metadata.Topics[0].TopicName, metadata.Topics[0].NumPartitions));
            var current = records.Last(r => r.KeyVersion == 8 && Decode<ConsumerGroupCurrentMemberAssignmentKey>(r.Key, 8).MemberId == members[0].MemberId);
            var currentValue = Decode<ConsumerGroupCurrentMemberAssignmentValue>(current.Value!, 0);
            Assert.Equal(members[0].Epoch, currentValue.MemberEpoch);
            Assert.Equal(members[0].Owned[topicId].ToList(), currentValue.AssignedPartitions.Single().Partitions.Order().ToList());
            // Four members were seen; the one that left ends in a tombstone.
            var memberKeys = records.Where(r => r.KeyVersion == 5).Select(r => (Decode<ConsumerGroupMemberMetadataKey>(r.Key, 5).MemberId, r.Value is null)).ToList();
            Assert.Equal(4, memberKeys.Select(k => k.MemberId).Distinct().Count());
            Assert.Single(memberKeys, k => k.Item2);
            var value = Decode<ConsumerGroupMemberMetadataValue>(records.Last(r => r.KeyVersion == 5 && r.Value is not null).Value!, 0);
            Assert.Equal([Topic], value.SubscribedTopicNames);
            Assert.Equal(30_000, value.RebalanceTimeoutMs);
        }
        finally
        {
            foreach (var m in members)
            {
                await m.DisposeAsync();
            }
        }
    }

    private sealed record RawRecord(short KeyVersion, byte[] Key, byte[]? Value);

    private static T Decode<T>(byte[] bytes, short expectedVersion) where T : IKafkaMessage, new()
    {
        var reader = new KafkaReader(bytes);
        var version = reader.ReadInt16();
        Assert.Equal(expectedVersion, version);
        var message = new T();
        message.Read(ref reader, version);
        Assert.True(reader.End);
        return message;
    }

    /// <summary>Fetches the group's __consumer_offsets partition from offset 0 and returns its records in order.</summary>
    private static async Task<List<RawRecord>> ReadOffsetsPartitionAsync(NodeConnection admin, BrokerNode node, string group)
    {
        var partitions = node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName)!.Partitions.Length;
        var partition = GroupCoordinator.PartitionFor(group, partitions);
        var result = new List<RawRecord>();
        long offset = 0;
        while (true)
        {
            var response = await admin.SendAsync<FetchResponse>(new FetchRequest
            {
                MaxWaitMs = 0,
                MinBytes = 0,
                Topics = [new FetchRequest.FetchTopic
                {
                    Topic = OffsetsTopicRecords.TopicName,
                    Partitions = [new FetchRequest.FetchPartition { Partition = partition, FetchOffset = offset, PartitionMaxBytes = 1 << 20 }],
                }],
            }, 12);
            var data = response.Responses[0].Partitions[0];
            Assert.Equal(0, data.ErrorCode);
            var bytes = data.Records ?? ReadOnlyMemory<byte>.Empty;
            if (bytes.IsEmpty)
            {
                return result;
            }
            var position = 0;
            while (bytes.Length - position >= RecordBatch.LogOverhead)
            {
                var size = new RecordBatch(bytes.Span[position..]).TotalSize;
                if (size > bytes.Length - position)
                {
                    break;
                }
                Collect(bytes.Slice(position, size), result);
                offset = new RecordBatch(bytes.Span.Slice(position, size)).NextOffset;
                position += size;
            }
            if (offset >= data.HighWatermark)
            {
                return result;
            }
        }
    }

    private static void Collect(ReadOnlyMemory<byte> batchBytes, List<RawRecord> into)
    {
        var batch = new RecordBatch(batchBytes.Span);
        Assert.Equal(CompressionType.None, batch.Compression);
        foreach (var record in new RecordEnumerator(batch.RecordsBytes, batch.RecordCount))
        {
            var key = record.Key.ToArray();
            var version = (short)((key[0] << 8) | key[1]);
            into.Add(new RawRecord(version, key, record.ValueIsNull ? null : record.Value.ToArray()));
        }
    }

    [Fact]
    public async Task A_restarted_broker_keeps_the_group()
    {
        var dir = Directory.CreateTempSubdirectory("akkabroker-kip848-").FullName;
        try
        {
            const string group = "kip848-restart";
            Guid topicId;
            List<(string MemberId, int Epoch, int[] Owned)> before;
            ConsumerGroupDescribeResponse.DescribedGroup described;
            var node = await BrokerNode.StartAsync(BrokerSettings.FromValues(Settings(dir)), NullLoggerFactory.Instance);
            try
            {
                await using (var creator = await NodeConnection.ConnectAsync("127.0.0.1", node.Port))
                {
                    var created = await creator.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest
                    {
                        Topics = [new CreateTopicsRequest.CreatableTopic { Name = Topic, NumPartitions = 6, ReplicationFactor = 1 }],
                        timeoutMs = 30_000,
                    }, 7);
                    Assert.Equal(0, created.Topics[0].ErrorCode);
                }
                topicId = node.Metadata.Current.Topic(Topic)!.Id;
                await using var admin = await NodeConnection.ConnectAsync("127.0.0.1", node.Port);
                var members = new List<Kip848Client>
                {
                    await Kip848Client.ConnectAsync(node.Port, group, [Topic], "a"),
                    await Kip848Client.ConnectAsync(node.Port, group, [Topic], "b", instanceId: "static-b"),
                };
                described = await ConvergeAsync(admin, group, members);
                before = members.Select(m => (m.MemberId, m.Epoch, m.Owned[topicId].ToArray())).OrderBy(m => m.MemberId).ToList();
                foreach (var m in members)
                {
                    await m.DisposeAsync();
                }
            }
            finally
            {
                await node.DisposeAsync();
            }

            node = await BrokerNode.StartAsync(BrokerSettings.FromValues(Settings(dir)), NullLoggerFactory.Instance);
            try
            {
                await using var admin = await NodeConnection.ConnectAsync("127.0.0.1", node.Port);
                var again = await DescribeAsync(admin, group);
                Assert.Equal(0, again.ErrorCode);
                Assert.Equal((described.GroupEpoch, described.AssignmentEpoch, "Stable"), (again.GroupEpoch, again.AssignmentEpoch, again.GroupState));
                var after = again.Members.Select(m => (m.MemberId, m.MemberEpoch, m.Assignment.TopicPartitions.Single().Partitions.Order().ToArray()))
                    .OrderBy(m => m.MemberId).ToList();
                Assert.Equal(before.Count, after.Count);
                for (var i = 0; i < before.Count; i++)
                {
                    Assert.Equal(before[i].MemberId, after[i].MemberId);
                    Assert.Equal(before[i].Epoch, after[i].MemberEpoch);
                    Assert.Equal(before[i].Owned, after[i].Item3);
                }
                Assert.Equal("static-b", again.Members.Single(m => m.ClientId == "b").InstanceId);

                // A member carries on with its epoch and partitions as if nothing happened.
                var heartbeat = await admin.SendAsync<ConsumerGroupHeartbeatResponse>(new ConsumerGroupHeartbeatRequest
                {
                    GroupId = group,
                    MemberId = before[0].MemberId,
                    MemberEpoch = before[0].Epoch,
                    TopicPartitions = [new ConsumerGroupHeartbeatRequest.TopicPartitionsData { TopicId = topicId, Partitions = before[0].Owned.ToList() }],
                }, 0);
                Assert.Equal(0, heartbeat.ErrorCode);
                Assert.Equal(before[0].Epoch, heartbeat.MemberEpoch);
                Assert.Equal(before[0].Owned, heartbeat.Assignment!.TopicPartitions.Single().Partitions.Order().ToArray());
            }
            finally
            {
                await node.DisposeAsync();
            }
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
