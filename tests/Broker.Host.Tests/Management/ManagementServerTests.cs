using System.Net;
using System.Text.Json;
using Broker.Actors.Metadata;
using Broker.Host.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Host.Tests.Management;

/// <summary>Starts a real single node with the management listener on port 0 and reads every route.</summary>
public sealed class ManagementServerTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mgmt-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private BrokerNode _node = null!;

    internal static BrokerSettings Settings(string dir, bool allowStateChanges = false) => BrokerSettings.FromValues(new Dictionary<string, string?>
    {
        ["node.id"] = "1",
        ["process.roles"] = "broker,controller",
        ["controller.quorum.voters"] = "1@127.0.0.1:9093",
        ["listeners"] = "PLAINTEXT://127.0.0.1:0",
        ["log.dirs"] = dir,
        ["management.http.listener"] = "127.0.0.1:0",
        ["management.http.allow-state-changes"] = allowStateChanges ? "true" : "false",
    });

    public async Task InitializeAsync()
    {
        _node = await BrokerNode.StartAsync(Settings(_dir), NullLoggerFactory.Instance);
        var results = await _node.Controller.CreateTopicsAsync(
            [new NewTopic("orders", 3, 1, new Dictionary<string, string?>())], validateOnly: false);
        Assert.All(results, r => Assert.Equal(0, (int)r.ErrorCode));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _node.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private Uri Url(string path) => new($"http://127.0.0.1:{_node.ManagementPort}{path}");

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(Url(path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Alive_and_ready_answer_200_once_the_node_serves()
    {
        Assert.True(_node.ManagementPort > 0);
        Assert.NotEqual(_node.Port, _node.ManagementPort);
        using var alive = await _http.GetAsync(Url("/alive"));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        using var ready = await _http.GetAsync(Url("/ready"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Members_lists_self_with_roles_status_and_the_controller()
    {
        var body = await GetJsonAsync("/cluster/members");
        Assert.Equal(1, body.GetProperty("controllerId").GetInt32());
        Assert.True(body.GetProperty("controllerEpoch").GetInt32() >= 1);
        var member = Assert.Single(body.GetProperty("members").EnumerateArray());
        Assert.Equal(1, member.GetProperty("nodeId").GetInt32());
        Assert.Equal("127.0.0.1", member.GetProperty("host").GetString());
        Assert.Equal(_node.Port, member.GetProperty("port").GetInt32());
        Assert.Equal("up", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("self").GetBoolean());
        Assert.Equal(["broker", "controller"], member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).Order().ToArray());
    }

    [Fact]
    public async Task Partitions_shows_leader_replicas_isr_and_local_offsets()
    {
        var body = await GetJsonAsync("/cluster/partitions");
        var topic = Assert.Single(body.GetProperty("topics").EnumerateArray(), t => t.GetProperty("name").GetString() == "orders");
        var partitions = topic.GetProperty("partitions").EnumerateArray().ToArray();
        Assert.Equal([0, 1, 2], partitions.Select(p => p.GetProperty("partition").GetInt32()).ToArray());
        foreach (var p in partitions)
        {
            Assert.Equal(1, p.GetProperty("leader").GetInt32());
            Assert.Equal([1], p.GetProperty("replicas").EnumerateArray().Select(r => r.GetInt32()).ToArray());
            Assert.Equal([1], p.GetProperty("isr").EnumerateArray().Select(r => r.GetInt32()).ToArray());
        }
        // The local replicas appear asynchronously after the image is published: poll with a generous bound.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var p0 = (await GetJsonAsync("/cluster/partitions")).GetProperty("topics").EnumerateArray()
                .Single(t => t.GetProperty("name").GetString() == "orders").GetProperty("partitions")[0];
            if (p0.GetProperty("logEndOffset").ValueKind == JsonValueKind.Number)
            {
                Assert.Equal(0, p0.GetProperty("logStartOffset").GetInt64());
                Assert.Equal(0, p0.GetProperty("logEndOffset").GetInt64());
                Assert.Equal(0, p0.GetProperty("highWatermark").GetInt64());
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "local replica offsets never appeared");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Region_stats_counts_replicas_and_leaders_per_node()
    {
        var body = await GetJsonAsync("/cluster/region-stats");
        var node = Assert.Single(body.GetProperty("nodes").EnumerateArray());
        Assert.Equal(1, node.GetProperty("nodeId").GetInt32());
        Assert.True(node.GetProperty("replicas").GetInt32() >= 3);
        Assert.Equal(node.GetProperty("replicas").GetInt32(), node.GetProperty("leaders").GetInt32());
    }

    [Fact]
    public async Task State_changing_routes_are_forbidden_by_default()
    {
        using var leave = await _http.PostAsync(Url("/cluster/members/1/leave"), null);
        Assert.Equal(HttpStatusCode.Forbidden, leave.StatusCode);
        using var down = await _http.PostAsync(Url("/cluster/members/1/down"), null);
        Assert.Equal(HttpStatusCode.Forbidden, down.StatusCode);
        using var unknown = await _http.GetAsync(Url("/cluster/nope"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}

/// <summary>With <c>management.http.allow-state-changes=true</c> the routes exist and explain what a single node cannot do.</summary>
public sealed class ManagementStateChangeTests
{
    [Fact]
    public async Task Leave_and_down_answer_409_for_a_member_and_404_for_a_stranger_when_allowed()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mgmt-" + Guid.NewGuid().ToString("N"));
        var node = await BrokerNode.StartAsync(ManagementServerTests.Settings(dir, allowStateChanges: true), NullLoggerFactory.Instance);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var url = $"http://127.0.0.1:{node.ManagementPort}/cluster/members";
            using var leave = await http.PostAsync(new Uri($"{url}/1/leave"), null);
            Assert.Equal(HttpStatusCode.Conflict, leave.StatusCode);
            Assert.Contains("single-node", await leave.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var down = await http.PostAsync(new Uri($"{url}/7/down"), null);
            Assert.Equal(HttpStatusCode.NotFound, down.StatusCode);
        }
        finally
        {
            await node.DisposeAsync();
        }
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
