using System.Net;
using System.Text.Json;
using Broker.Actors.Metadata;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Cluster;

/// <summary>
/// <c>POST /cluster/members/{id}/leave|down</c> on in-process clusters, asked of a node that is not the active
/// controller (node 1 is), so the change travels as ControlledShutdown / UnregisterBroker over the wire: 202 with the
/// leaderships moved (leave: the node is told to shut down; down: fenced at once, and a live node registers again),
/// 404 for a stranger, 409 when no broker would be left to lead or the node is already fenced, 403 when state changes
/// are off, 503 without an active controller.
/// </summary>
public sealed class MembershipRoutesTests
{
    private static Dictionary<string, string?> Management(bool allow) => new()
    {
        ["management.http.listener"] = "127.0.0.1:0",
        ["management.http.allow-state-changes"] = allow ? "true" : "false",
    };

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<(HttpStatusCode Status, string Message)> PostAsync(InProcessCluster cluster, int viaNode, int target, string operation)
    {
        using var response = await Http.PostAsync(new Uri($"http://127.0.0.1:{cluster.Node(viaNode).ManagementPort}/cluster/members/{target}/{operation}"), null);
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        return (response.StatusCode, doc.RootElement.GetProperty("message").GetString()!);
    }

    private static async Task<string> StatusAsync(InProcessCluster cluster, int viaNode, int member)
    {
        var body = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{cluster.Node(viaNode).ManagementPort}/cluster/members"));
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("nodeId").GetInt32() == member).GetProperty("status").GetString()!;
    }

    private static async Task CreateAsync(InProcessCluster cluster, string name, int partitions, short rf)
    {
        using var client = await cluster.ConnectAsync(1);
        var response = await client.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest
        {
            Topics = [new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = partitions, ReplicationFactor = rf }],
            timeoutMs = 30000,
        }, 7);
        Assert.Equal(0, Assert.Single(response.Topics).ErrorCode);
        await cluster.WaitForTopicAsync(name);
    }

    private static IEnumerable<PartitionImage> LedBy(MetadataImage image, string topic, int broker) =>
        image.Topic(topic)!.Partitions.Where(p => p.Leader == broker);

    [Fact(Timeout = 240_000)]
    public async Task Leave_moves_the_leaderships_away_and_tells_the_node_to_shut_down()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Management(allow: true));
        await CreateAsync(cluster, "leaving", 6, 3);
        Assert.NotEmpty(LedBy(cluster.Image, "leaving", 3));
        var before = cluster.Image.Topic("leaving")!.Partitions;

        var (status, message) = await PostAsync(cluster, 2, 3, "leave");
        Assert.True(status == HttpStatusCode.Accepted, $"{status}: {message}");
        Assert.Contains("leaving", message, StringComparison.Ordinal);
        // The answering node waited for its image to show the change.
        var image = cluster.Node(2).MetadataPublisher.Current;
        Assert.True(image.Brokers[3].InControlledShutdown);
        Assert.False(image.Brokers[3].Fenced);
        Assert.Empty(LedBy(image, "leaving", 3));
        Assert.All(image.Topic("leaving")!.Partitions, p =>
        {
            Assert.DoesNotContain(3, p.Isr);
            Assert.NotEqual(-1, p.Leader);
            var old = before.Single(b => b.Partition == p.Partition);
            Assert.True(old.Leader != 3 || p.LeaderEpoch > old.LeaderEpoch, $"partition {p.Partition} moved without a new leader epoch");
        });
        Assert.Equal("leaving", await StatusAsync(cluster, 2, 3));

        // Node 3 learns it from its next heartbeat's answer (the host then stops it gracefully).
        await cluster.Node(3).LeaveRequested.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(cluster.Node(1).LeaveRequested.IsCompleted);
        Assert.False(cluster.Node(2).LeaveRequested.IsCompleted);
        // Asked again while leaving: accepted, nothing more to move.
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(cluster, 1, 3, "leave")).Status);

        await cluster.ShutdownNodeAsync(3);
        await cluster.WaitForImageAsync(i => i.Brokers[3].Fenced, "node 3 fenced by its controlled shutdown");
        Assert.Equal("fenced", await StatusAsync(cluster, 1, 3));
        var (again, why) = await PostAsync(cluster, 2, 3, "down");
        Assert.True(again == HttpStatusCode.Conflict, $"{again}: {why}");
        Assert.Contains("already fenced", why, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(cluster, 2, 9, "leave")).Status);
    }

    [Fact(Timeout = 240_000)]
    public async Task Down_fences_the_node_now_and_a_live_node_registers_again_before_it_leads()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Management(allow: true));
        await CreateAsync(cluster, "downed", 6, 3);
        Assert.NotEmpty(LedBy(cluster.Image, "downed", 2));
        var epoch = cluster.Image.Brokers[2].BrokerEpoch;

        var (status, message) = await PostAsync(cluster, 3, 2, "down");
        Assert.True(status == HttpStatusCode.Accepted, $"{status}: {message}");
        Assert.Contains("fenced", message, StringComparison.Ordinal);
        // Fenced (or, by now, registered again): either way it leads nothing and left every ISR.
        var image = cluster.Node(3).MetadataPublisher.Current;
        Assert.True(image.Brokers[2].Fenced || image.Brokers[2].BrokerEpoch != epoch);
        Assert.Empty(LedBy(image, "downed", 2));
        Assert.All(image.Topic("downed")!.Partitions, p => Assert.NotEqual(-1, p.Leader));

        // Node 2 is alive: its old registration's heartbeats are refused, it registers again (a new epoch, fenced),
        // catches up and is unfenced; the leaderships it lost stay where they went.
        await cluster.WaitForImageAsync(i => i.Brokers[2].BrokerEpoch > epoch && !i.Brokers[2].Fenced, "node 2 registered again and unfenced");
        Assert.Equal(cluster.Node(2).Lifecycle!.BrokerEpoch, cluster.Image.Brokers[2].BrokerEpoch);
        Assert.Empty(LedBy(cluster.Image, "downed", 2));
        Assert.False(cluster.Node(2).LeaveRequested.IsCompleted);
    }

    [Fact(Timeout = 240_000)]
    public async Task The_last_broker_able_to_lead_can_neither_leave_nor_be_downed_and_no_controller_is_503()
    {
        var settings = Management(allow: true);
        // A stopped node's closed ports get it fenced at once (no 10 s session to wait out).
        settings["controller.broker.liveness.probe.interval.ms"] = "200";
        await using var cluster = await InProcessCluster.StartAsync(2, settings);

        cluster.Quorum.Resign();
        var (noController, why) = await PostAsync(cluster, 2, 1, "leave");
        Assert.True(noController == HttpStatusCode.ServiceUnavailable, $"{noController}: {why}");
        cluster.ElectController(1);
        await cluster.WaitForImageAsync(i => i.Brokers.Values.All(b => !b.Fenced), "both brokers unfenced under the new controller epoch");

        await cluster.StopNodeAsync(2);
        await cluster.WaitForImageAsync(i => i.Brokers[2].Fenced, "node 2 fenced");
        foreach (var operation in new[] { "leave", "down" })
        {
            var (status, message) = await PostAsync(cluster, 1, 1, operation);
            Assert.True(status == HttpStatusCode.Conflict, $"{operation}: {status}: {message}");
            Assert.Contains("no other broker", message, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(cluster, 1, 2, "down")).Status);
        Assert.False(cluster.Image.Brokers[1].Fenced || cluster.Image.Brokers[1].InControlledShutdown);
    }

    [Fact(Timeout = 240_000)]
    public async Task Member_changes_are_forbidden_unless_state_changes_are_allowed()
    {
        await using var cluster = await InProcessCluster.StartAsync(2, Management(allow: false));
        foreach (var operation in new[] { "leave", "down" })
        {
            var (status, message) = await PostAsync(cluster, 1, 2, operation);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("management.http.allow-state-changes", message, StringComparison.Ordinal);
        }
        Assert.False(cluster.Image.Brokers[2].Fenced || cluster.Image.Brokers[2].InControlledShutdown);
    }
}
