using System.Net;
using System.Text.Json;
using Broker.Ctl;
using Broker.Host.Tests.Cluster;
using Broker.Host.Tests.Handlers;
using static Broker.Host.Tests.Cluster.ReplicationClient;

namespace Broker.Host.Tests.Management;

/// <summary>
/// <c>brokerctl partitions</c> on three in-process nodes (node 1 the active controller; brokerctl talks to node 3's
/// management endpoint, which forwards to it): a reassignment shows in list-reassignments while in progress and is
/// gone once complete, a cancel reverts a move, refusals carry Kafka's error names, a preferred election moves
/// leadership back to the preferred replica once its node has returned, and 503 while there is no controller.
/// </summary>
public sealed class BrokerCtlPartitionsTests
{
    private static readonly Dictionary<string, string?> Management = new()
    {
        ["management.http.listener"] = "127.0.0.1:0",
        ["management.http.allow-state-changes"] = "true",
    };

    private static string Url(BrokerNode node) => $"http://127.0.0.1:{node.ManagementPort}";

    private static async Task<(int Code, string Out, string Err)> CtlAsync(BrokerNode node, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await BrokerCtl.RunAsync(["--url", Url(node), .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Row(string output, string firstCell) =>
        output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(c => c.Length > 0 && c[0] == firstCell);

    [Fact(Timeout = 180_000)]
    public async Task Reassign_shows_in_list_reassignments_until_complete_and_cancel_reverts_a_move()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Management);
        using (var admin = await cluster.ConnectAsync(3))
        {
            await CreateTopicAsync(admin, "mv", [1, 2]);
        }
        await cluster.WaitForTopicAsync("mv");
        using (var leader = await cluster.ConnectAsync(1))
        {
            Assert.Equal(0, (await ProduceAsync(leader, "mv", Batch(20, "before"), acks: -1)).ErrorCode);
        }
        var ctl = cluster.Node(3);

        var (code, output, err) = await CtlAsync(ctl, "partitions", "list-reassignments");
        Assert.True(code == 0, err);
        Assert.Equal("no reassignments in progress", output.Trim());

        // Node 3 does not copy yet, so the move stays in progress.
        cluster.Node(3).ReplicaFetchers!.Paused = true;
        (code, output, err) = await CtlAsync(ctl, "partitions", "reassign", "mv", "0", "2,3");
        Assert.True(code == 0, err);
        Assert.Contains("reassignment of mv-0 to [2,3] started", output, StringComparison.Ordinal);
        await cluster.WaitForImageAsync(i => i.Topic("mv")!.Partitions[0].IsReassigning, "the move starts");
        (code, output, err) = await CtlAsync(ctl, "partitions", "list-reassignments");
        Assert.True(code == 0, err);
        Assert.Equal(["mv", "0", "2,3,1", "3", "1"], Row(output, "mv"));
        // The route itself, on another node.
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            var body = await http.GetStringAsync(new Uri($"{Url(cluster.Node(2))}/cluster/reassignments"));
            var move = Assert.Single(JsonDocument.Parse(body).RootElement.GetProperty("reassignments").EnumerateArray());
            Assert.Equal("mv", move.GetProperty("topic").GetString());
            Assert.Equal([3], move.GetProperty("addingReplicas").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal([1], move.GetProperty("removingReplicas").EnumerateArray().Select(e => e.GetInt32()));
        }

        cluster.Node(3).ReplicaFetchers!.Paused = false;
        await cluster.WaitForImageAsync(i => i.Topic("mv")!.Partitions[0] is { IsReassigning: false } p && p.Replicas.SequenceEqual([2, 3]),
            "the move completes", TimeSpan.FromSeconds(90));
        (code, output, err) = await CtlAsync(ctl, "partitions", "list-reassignments");
        Assert.True(code == 0, err);
        Assert.Equal("no reassignments in progress", output.Trim());

        // The cancel form: a move back to [2,1] (node 1 held from copying) reverted to [2,3].
        cluster.Node(1).ReplicaFetchers!.Paused = true;
        (code, _, err) = await CtlAsync(ctl, "partitions", "reassign", "mv", "0", "2,1");
        Assert.True(code == 0, err);
        await cluster.WaitForImageAsync(i => i.Topic("mv")!.Partitions[0].IsReassigning, "the second move starts");
        (code, output, err) = await CtlAsync(ctl, "partitions", "reassign", "mv", "0", "--cancel");
        Assert.True(code == 0, err);
        Assert.Contains("reassignment of mv-0 cancelled", output, StringComparison.Ordinal);
        await cluster.WaitForImageAsync(i => i.Topic("mv")!.Partitions[0] is { IsReassigning: false } p && p.Replicas.SequenceEqual([2, 3]),
            "the move is reverted");
        cluster.Node(1).ReplicaFetchers!.Paused = false;

        // Refusals: Kafka's error names, brokerctl exits 1; bad usage exits 2.
        (code, output, err) = await CtlAsync(ctl, "partitions", "reassign", "mv", "0", "--cancel");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains("409", err, StringComparison.Ordinal);
        Assert.Contains("NO_REASSIGNMENT_IN_PROGRESS", err, StringComparison.Ordinal);
        (code, _, err) = await CtlAsync(ctl, "partitions", "reassign", "mv", "0", "2,9");
        Assert.Equal(1, code);
        Assert.Contains("400", err, StringComparison.Ordinal);
        Assert.Contains("INVALID_REPLICA_ASSIGNMENT", err, StringComparison.Ordinal);
        (code, _, err) = await CtlAsync(ctl, "partitions", "reassign", "nope", "0", "1,2");
        Assert.Equal(1, code);
        Assert.Contains("404", err, StringComparison.Ordinal);
        Assert.Contains("UNKNOWN_TOPIC_OR_PARTITION", err, StringComparison.Ordinal);
        (code, _, err) = await CtlAsync(ctl, "partitions", "reassign", "mv", "7", "1,2");
        Assert.Equal(1, code);
        Assert.Contains("404", err, StringComparison.Ordinal);
        (code, _, err) = await CtlAsync(ctl, "partitions", "reassign", "mv", "0", "2,x");
        Assert.Equal(2, code);
        Assert.Contains("broker id 'x' is not a number", err, StringComparison.Ordinal);
        Assert.Equal([2, 3], Partition(cluster, "mv").Replicas.ToArray()); // none of them changed anything

        // No active controller: 503 once the forwarding gives up (15 s, inside brokerctl's 30 s).
        cluster.Quorum.Resign();
        (code, _, err) = await CtlAsync(ctl, "partitions", "list-reassignments");
        Assert.Equal(1, code);
        Assert.Contains("503", err, StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task Elect_leaders_moves_leadership_back_to_the_preferred_replica_after_its_node_returns()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Management);
        using (var admin = await cluster.ConnectAsync(3))
        {
            await CreateTopicAsync(admin, "el", [2, 1, 3]);
        }
        await cluster.WaitForTopicAsync("el");
        Assert.Equal(2, Partition(cluster, "el").Leader);
        var ctl = cluster.Node(3);

        // Node 2 leaves (a controlled shutdown hands its leadership over); its preferred leadership cannot be had.
        await cluster.ShutdownNodeAsync(2);
        await cluster.WaitForImageAsync(i => i.Topic("el")!.Partitions[0].Leader is 1 or 3, "leadership moves off node 2");
        var (code, output, err) = await CtlAsync(ctl, "partitions", "elect-leaders", "el", "0");
        Assert.Equal(1, code);
        Assert.Contains("409", err, StringComparison.Ordinal);
        Assert.Contains("PREFERRED_LEADER_NOT_AVAILABLE", err, StringComparison.Ordinal);

        // It returns and catches up into the ISR; nothing moves leadership back by itself.
        await cluster.RestartNodeAsync(2);
        await cluster.WaitForImageAsync(i => i.Brokers[2] is { Fenced: false } && i.Topic("el")!.Partitions[0].Isr.Contains(2),
            "node 2 is back in the ISR", TimeSpan.FromSeconds(90));
        var before = Partition(cluster, "el");
        Assert.NotEqual(2, before.Leader);

        (code, output, err) = await CtlAsync(ctl, "partitions", "elect-leaders", "el", "0");
        Assert.True(code == 0, err);
        Assert.Equal(["el", "0", "elected"], Row(output, "el"));
        Assert.Contains("1 partition(s) got their preferred leader", output, StringComparison.Ordinal);
        // Answered once node 3's own image shows the new leader (a forwarded election waits for it).
        var after = cluster.Node(3).MetadataPublisher.Current.Topic("el")!.Partitions[0];
        Assert.Equal(2, after.Leader);
        Assert.True(after.LeaderEpoch > before.LeaderEpoch);
        await Eventually.TrueAsync(() => cluster.Node(2).Replicas.Get("el", 0)?.State is { IsLeader: true }, "node 2 leads again");

        // Again: nothing to do. The named partition is refused with ELECTION_NOT_NEEDED; all partitions is a no-op.
        (code, _, err) = await CtlAsync(ctl, "partitions", "elect-leaders", "el", "0");
        Assert.Equal(1, code);
        Assert.Contains("409", err, StringComparison.Ordinal);
        Assert.Contains("ELECTION_NOT_NEEDED", err, StringComparison.Ordinal);
        (code, output, err) = await CtlAsync(ctl, "partitions", "elect-leaders");
        Assert.True(code == 0, err);
        Assert.Equal("no partition needed a new leader", output.Trim());
        (code, _, err) = await CtlAsync(ctl, "partitions", "elect-leaders", "nope");
        Assert.Equal(1, code);
        Assert.Contains("404", err, StringComparison.Ordinal);
        Assert.Equal(after.LeaderEpoch, Partition(cluster, "el").LeaderEpoch);
    }

    [Fact]
    public async Task State_changes_are_refused_unless_allowed_and_bodies_are_checked()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ctl-partitions-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var allowed in new[] { false, true })
            {
                await using var node = await BrokerNode.StartAsync(ManagementServerTests.Settings(Path.Combine(dir, allowed.ToString()), allowed),
                    Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
                var created = await node.Controller.CreateTopicsAsync(
                    [new Broker.Actors.Metadata.NewTopic("one", 1, 1, new Dictionary<string, string?>())], validateOnly: false);
                Assert.Equal(0, Assert.Single(created).ErrorCode);
                using var http = new HttpClient { BaseAddress = new Uri(Url(node)), Timeout = TimeSpan.FromSeconds(30) };
                async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, string? json)
                {
                    using var content = json is null ? null : new StringContent(json, System.Text.Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
                    return (response.StatusCode, await response.Content.ReadAsStringAsync());
                }

                // Listing changes nothing: always served.
                using (var list = await http.GetAsync(new Uri("/cluster/reassignments", UriKind.Relative)))
                {
                    Assert.Equal(HttpStatusCode.OK, list.StatusCode);
                    Assert.Empty(JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetProperty("reassignments").EnumerateArray());
                }
                if (!allowed)
                {
                    var (status, body) = await PostAsync("/cluster/partitions/one/0/reassign", """{"replicas":[1]}""");
                    Assert.Equal(HttpStatusCode.Forbidden, status);
                    Assert.Contains("management.http.allow-state-changes", body, StringComparison.Ordinal);
                    Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("/cluster/elect-leaders", null)).Status);
                    continue;
                }
                Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("/cluster/partitions/one/0/reassign", null)).Status);
                Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("/cluster/partitions/one/0/reassign", "{not json")).Status);
                Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("/cluster/partitions/one/0/reassign", """{"replicas":["a"]}""")).Status);
                Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("/cluster/elect-leaders", """{"partition":0}""")).Status);
                var invalid = await PostAsync("/cluster/partitions/one/0/reassign", """{"replicas":[]}""");
                Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
                Assert.Equal("INVALID_REPLICA_ASSIGNMENT", JsonDocument.Parse(invalid.Body).RootElement.GetProperty("error").GetString());
                Assert.Equal(HttpStatusCode.NotFound, (await PostAsync("/cluster/partitions/one/1/reassign", """{"replicas":[1]}""")).Status);
                Assert.Equal(HttpStatusCode.NotFound, (await PostAsync("/cluster/elect-leaders", """{"topic":"one","partition":3}""")).Status);
                var notNeeded = await PostAsync("/cluster/elect-leaders", """{"topic":"one"}""");
                Assert.Equal(HttpStatusCode.Conflict, notNeeded.Status);
                Assert.Equal("ELECTION_NOT_NEEDED", JsonDocument.Parse(notNeeded.Body).RootElement.GetProperty("error").GetString());
                var none = await PostAsync("/cluster/elect-leaders", null);
                Assert.Equal(HttpStatusCode.OK, none.Status);
                Assert.Equal(0, JsonDocument.Parse(none.Body).RootElement.GetProperty("elected").GetInt32());
                // A pure no-op move to the same replicas is accepted and leaves nothing in progress.
                Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/cluster/partitions/one/0/reassign", """{"replicas":[1]}""")).Status);
                Assert.False(node.Metadata.Current.Topic("one")!.Partitions[0].IsReassigning);
            }
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
