using System.Net.Http.Json;
using System.Text.Json;
using Broker.Compat.Tests.Harness;
using Broker.Host.Management;
using Broker.Host.Network.Client;
using Broker.Protocol.Messages;

namespace Broker.Compat.Tests.Groups;

/// <summary>
/// A broker kill -9 under a KIP-848 group (raw ConsumerGroupHeartbeat over a real socket: no client in Debian speaks
/// the protocol yet). The group lives in its coordinator shard, which rebuilds it from the ConsumerGroup* records of
/// __consumer_offsets: after the restart the members carry on at their epochs with their assignments (no fencing, no
/// new assignment), and GET /groups/{id} shows the group's real state and members.
/// </summary>
public sealed class ConsumerGroupRestartTests
{
    private const int Partitions = 6;

    /// <summary>One consumer-protocol member: heartbeats with what it owns, gives up what it lost, takes the rest.</summary>
    private sealed class Member(string group, string topic)
    {
        public NodeConnection? Connection { get; set; }

        public string MemberId { get; private set; } = string.Empty;

        public int Epoch { get; private set; }

        public Dictionary<Guid, int[]> Owned { get; } = [];

        public async Task<ConsumerGroupHeartbeatResponse> HeartbeatAsync()
        {
            var response = await Connection!.SendAsync<ConsumerGroupHeartbeatResponse>(new ConsumerGroupHeartbeatRequest
            {
                GroupId = group,
                MemberId = MemberId,
                MemberEpoch = Epoch,
                RebalanceTimeoutMs = 30_000,
                SubscribedTopicNames = [topic],
                TopicPartitions = [.. Owned.Select(o => new ConsumerGroupHeartbeatRequest.TopicPartitionsData { TopicId = o.Key, Partitions = [.. o.Value] })],
            }, 0, TimeSpan.FromSeconds(30));
            if (response.ErrorCode == 0)
            {
                MemberId = response.MemberId ?? MemberId;
                Epoch = response.MemberEpoch;
                if (response.Assignment is { } a)
                {
                    Owned.Clear();
                    foreach (var tp in a.TopicPartitions)
                    {
                        Owned[tp.TopicId] = [.. tp.Partitions.Order()];
                    }
                }
            }
            return response;
        }

        public string OwnedText => string.Join(",", Owned.Values.SelectMany(p => p).Order());
    }

    private static async Task<ConsumerGroupDescribeResponse.DescribedGroup> DescribeAsync(NodeConnection admin, string group) =>
        (await admin.SendAsync<ConsumerGroupDescribeResponse>(new ConsumerGroupDescribeRequest { GroupIds = [group] }, 0, TimeSpan.FromSeconds(30))).Groups.Single();

    [Fact(Timeout = 180_000)]
    public async Task A_consumer_group_keeps_its_member_epochs_and_assignments_across_a_broker_kill()
    {
        var managementPort = FreePort.Next();
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string>
            {
                ["offsets.topic.num.partitions"] = "3",
                ["management.http.listener"] = $"127.0.0.1:{managementPort}",
            },
        });
        var topic = $"kip848-{Guid.NewGuid():N}"[..16];
        var group = "g-" + topic;
        await using (var creator = await NodeConnection.ConnectAsync("127.0.0.1", broker.Port))
        {
            var created = await creator.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest
            {
                Topics = [new CreateTopicsRequest.CreatableTopic { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }],
                timeoutMs = 30_000,
            }, 7, TimeSpan.FromSeconds(60));
            Assert.Equal(0, created.Topics[0].ErrorCode);
        }
        Member[] members = [new(group, topic), new(group, topic)];
        ConsumerGroupDescribeResponse.DescribedGroup before;
        await using (var admin = await NodeConnection.ConnectAsync("127.0.0.1", broker.Port))
        {
            foreach (var m in members)
            {
                m.Connection = await NodeConnection.ConnectAsync("127.0.0.1", broker.Port);
            }
            before = await ConvergeAsync(admin, group, members);
            foreach (var m in members)
            {
                await m.Connection!.DisposeAsync();
            }
        }
        Assert.Equal(Partitions, members.Sum(m => m.Owned.Values.Sum(p => p.Length)));

        await broker.RestartAsync(crash: true);

        await using (var admin = await NodeConnection.ConnectAsync("127.0.0.1", broker.Port))
        {
            // The first requests may find __consumer_offsets still loading.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            var after = await DescribeAsync(admin, group);
            while (after.ErrorCode is (short)ErrorCode.CoordinatorLoadInProgress or (short)ErrorCode.CoordinatorNotAvailable or (short)ErrorCode.NotCoordinator
                && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                after = await DescribeAsync(admin, group);
            }
            Assert.Equal(0, after.ErrorCode);
            Assert.Equal(("Stable", before.GroupEpoch, before.AssignmentEpoch), (after.GroupState, after.GroupEpoch, after.AssignmentEpoch));
            Assert.Equal(Members(before), Members(after));
            foreach (var m in members)
            {
                var (epoch, owned) = (m.Epoch, m.OwnedText);
                m.Connection = await NodeConnection.ConnectAsync("127.0.0.1", broker.Port);
                var r = await m.HeartbeatAsync();
                Assert.True(r.ErrorCode == 0, $"heartbeat after the restart: {(ErrorCode)r.ErrorCode} {r.ErrorMessage}");
                Assert.Equal((epoch, owned), (m.Epoch, m.OwnedText));
                await m.Connection.DisposeAsync();
            }
        }

        // brokerctl groups describe / GET /groups/{id}: the real state, the members and their assignments.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var view = await http.GetFromJsonAsync<GroupView>($"http://127.0.0.1:{managementPort}/groups/{group}", new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.NotNull(view);
        Assert.Equal(("Stable", "consumer"), (view.State, view.ProtocolType));
        Assert.Equal(members.Select(m => m.MemberId).Order(), view.Members.Select(m => m.MemberId).Order());
        foreach (var m in members)
        {
            var shown = view.Members.Single(v => v.MemberId == m.MemberId).Assignment.Single();
            Assert.Equal((topic, m.OwnedText), (shown.Topic, string.Join(",", shown.Partitions)));
        }
    }

    private static IEnumerable<string> Members(ConsumerGroupDescribeResponse.DescribedGroup d) =>
        d.Members.OrderBy(m => m.MemberId, StringComparer.Ordinal)
            .Select(m => $"{m.MemberId}@{m.MemberEpoch}:{string.Join(",", m.Assignment.TopicPartitions.SelectMany(t => t.Partitions).Order())}")
            .ToList();

    /// <summary>Heartbeats every member in turn until the group is Stable and each holds its whole target.</summary>
    private static async Task<ConsumerGroupDescribeResponse.DescribedGroup> ConvergeAsync(NodeConnection admin, string group, Member[] members)
    {
        for (var round = 0; round < 50; round++)
        {
            foreach (var m in members)
            {
                var r = await m.HeartbeatAsync();
                Assert.True(r.ErrorCode == 0, $"heartbeat: {(ErrorCode)r.ErrorCode} {r.ErrorMessage}");
            }
            var d = await DescribeAsync(admin, group);
            if (d.GroupState == "Stable" && members.All(m => m.Epoch == d.AssignmentEpoch
                && m.Owned.Values.Sum(p => p.Length) == d.Members.Single(x => x.MemberId == m.MemberId).Assignment.TopicPartitions.Sum(t => t.Partitions.Count)))
            {
                return d;
            }
        }
        Assert.Fail("the group did not converge");
        return null!;
    }
}
