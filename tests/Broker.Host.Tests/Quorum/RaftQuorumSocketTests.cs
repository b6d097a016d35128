using System.Diagnostics;
using Broker.Actors.Metadata;
using Broker.Actors.Raft;
using DescribeQuorumRequest = Broker.Protocol.Messages.DescribeQuorumRequest;
using DescribeQuorumResponse = Broker.Protocol.Messages.DescribeQuorumResponse;
using Broker.Host.Network.Client;
using Broker.Host.Tests.Handlers;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;
using Xunit.Abstractions;

namespace Broker.Host.Tests.Quorum;

/// <summary>KRaft quorums of in-process members talking the Kafka protocol over real sockets.</summary>
public sealed class RaftQuorumSocketTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("akkabroker-raft-").FullName;
    private readonly Dictionary<int, RaftSocketNode?> _nodes = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private async Task StartAll(Dictionary<int, int> ports, long snapshotEveryBytes = 1L << 30)
    {
        foreach (var id in ports.Keys)
        {
            _nodes[id] = await RaftSocketNode.StartAsync(id, ports, _dir, snapshotEveryBytes);
        }
    }

    private IEnumerable<RaftSocketNode> Live => _nodes.Values.Where(n => n is not null)!;

    /// <summary>A leader above <paramref name="aboveEpoch"/> that every live member follows in its epoch. A leader
    /// alone may still be deposed: while members start one by one, a pre-vote granted during the first election can
    /// make another member win the next epoch (seen on a loaded machine), and the test would then talk to an ex-leader.
    /// The status is read once per member (its role and the quorum's leader are published separately).</summary>
    private async Task<RaftSocketNode> LeaderAsync(int aboveEpoch = 0)
    {
        RaftSocketNode? leader = null;
        await Eventually.TrueAsync(() =>
        {
            var statuses = Live.Select(n => (Node: n, Status: n.Quorum.Status.Current)).ToList();
            var lead = statuses.FirstOrDefault(s => s.Status is { Role: RaftRole.Leader } st && st.Epoch > aboveEpoch);
            leader = lead.Node;
            return lead.Status is { } ls && statuses.All(s => s.Status is { } st && st.Epoch == ls.Epoch && st.LeaderId == ls.NodeId)
                && leader.Quorum.Leader == new QuorumLeader(ls.NodeId, ls.Epoch);
        }, $"a leader above epoch {aboveEpoch} that every member follows", Patience);
        return leader!;
    }

    private static IKafkaMessage[] Topic(string name) =>
        [new TopicRecord { Name = name, TopicId = Guid.NewGuid() }, new NoOpRecord()];

    /// <summary>Appends batches one after the other; returns the mean commit latency.</summary>
    private static async Task<double> AppendAsync(RaftSocketNode leader, IEnumerable<string> names)
    {
        var latencies = new List<double>();
        foreach (var name in names)
        {
            var watch = Stopwatch.StartNew();
            await leader.Quorum.AppendAsync(leader.Quorum.Leader.Epoch, Topic(name)).WaitAsync(Patience);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }
        return latencies.Average();
    }

    /// <summary>Every node ends up with exactly these topics (a snapshot lists them by name, so compared as sets;
    /// the order of batches is checked through their offsets).</summary>
    private static Task AllSeeAsync(IEnumerable<RaftSocketNode> nodes, string[] names) =>
        Task.WhenAll(nodes.Select(async n =>
        {
            var watch = Stopwatch.StartNew();
            while (!n.Listener.TopicNames().Order().SequenceEqual(names.Order()))
            {
                Assert.True(watch.Elapsed < Patience,
                    $"node {n.Id} should have [{string.Join(",", names)}] but has [{string.Join(",", n.Listener.TopicNames())}], status {n.Quorum.Status.Current}");
                await Task.Delay(20);
            }
        }));

    [Fact]
    public async Task Three_voters_elect_commit_in_order_reelect_after_the_leader_dies_and_a_restarted_member_catches_up()
    {
        var ports = RaftSocketNode.FreePorts(3);
        var watch = Stopwatch.StartNew();
        await StartAll(ports);
        var leader = await LeaderAsync();
        output.WriteLine($"first election: node {leader.Id} epoch {leader.Quorum.Leader.Epoch} after {watch.ElapsedMilliseconds} ms");

        string[] first = [.. Enumerable.Range(0, 20).Select(i => $"a{i}")];
        var latency = await AppendAsync(leader, first);
        output.WriteLine($"mean commit latency (append -> committed on the leader, one at a time): {latency:F1} ms");
        await AllSeeAsync(Live, first);
        var offsets = leader.Listener.Batches.Select(b => b.Offset).ToArray();
        foreach (var node in Live)
        {
            Assert.Equal(offsets, node.Listener.Batches.Select(b => b.Offset).ToArray());
        }

        // Not the leader: appends fail with NOT_CONTROLLER's exception.
        var follower = Live.First(n => n != leader);
        await Assert.ThrowsAsync<NotControllerException>(() => follower.Quorum.AppendAsync(leader.Quorum.Leader.Epoch, Topic("nope")));

        // The leader dies: the other two elect a new one in a higher epoch.
        var oldEpoch = leader.Quorum.Leader.Epoch;
        var deadId = leader.Id;
        await leader.DisposeAsync();
        _nodes[deadId] = null;
        watch.Restart();
        var next = await LeaderAsync(oldEpoch);
        output.WriteLine($"re-election after the leader stopped: node {next.Id} epoch {next.Quorum.Leader.Epoch} after {watch.ElapsedMilliseconds} ms");
        string[] second = [.. Enumerable.Range(0, 5).Select(i => $"b{i}")];
        await AppendAsync(next, second);
        await AllSeeAsync(Live, [.. first, .. second]);

        // The old leader restarts from its files and catches up, replaying everything in order.
        _nodes[deadId] = await RaftSocketNode.StartAsync(deadId, ports, _dir);
        await AllSeeAsync([_nodes[deadId]!], [.. first, .. second]);
        Assert.Equal(next.Listener.Batches.Select(b => b.Offset), _nodes[deadId]!.Listener.Batches.Select(b => b.Offset));
        Assert.True(File.Exists(Path.Combine(_dir, $"node-{deadId}", "__cluster_metadata-0", "quorum-state")));
    }

    [Fact]
    public async Task Five_voters_elect_and_commit_everywhere()
    {
        var ports = RaftSocketNode.FreePorts(5);
        var watch = Stopwatch.StartNew();
        await StartAll(ports);
        var leader = await LeaderAsync();
        output.WriteLine($"5 voters: node {leader.Id} leads epoch {leader.Quorum.Leader.Epoch} after {watch.ElapsedMilliseconds} ms");
        string[] names = [.. Enumerable.Range(0, 10).Select(i => $"f{i}")];
        var latency = await AppendAsync(leader, names);
        output.WriteLine($"5 voters: mean commit latency {latency:F1} ms");
        await AllSeeAsync(Live, names);
    }

    [Fact]
    public async Task A_member_far_behind_installs_the_leaders_snapshot_and_an_observer_follows()
    {
        var ports = RaftSocketNode.FreePorts(3);
        await StartAll(ports, snapshotEveryBytes: 300);
        var leader = await LeaderAsync();
        var lagging = Live.First(n => n != leader);
        var laggingId = lagging.Id;
        await lagging.DisposeAsync();
        _nodes[laggingId] = null;

        string[] names = [.. Enumerable.Range(0, 40).Select(i => $"s{i}")];
        await AppendAsync(leader, names);
        await Eventually.TrueAsync(() => leader.Quorum.Status.Current!.LogStartOffset > 0, "the leader snapshots and truncates its log", Patience);
        var snapshots = Directory.GetFiles(Path.Combine(_dir, $"node-{leader.Id}", "__cluster_metadata-0"), "*.checkpoint");
        Assert.NotEmpty(snapshots); // (a newer one may be in the middle of replacing the last)

        // Restarted, the member's log ends below the leader's log start: it fetches the snapshot in chunks.
        _nodes[laggingId] = await RaftSocketNode.StartAsync(laggingId, ports, _dir, snapshotEveryBytes: 300);
        var restarted = _nodes[laggingId]!;
        await AllSeeAsync([restarted], names);
        Assert.NotEmpty(restarted.Listener.Snapshots);
        Assert.True(restarted.Quorum.Status.Current!.LogStartOffset > 0);

        // An observer (not a voter) finds the leader through the voters and replicates without voting.
        _nodes[9] = await RaftSocketNode.StartAsync(9, ports, _dir, snapshotEveryBytes: 300);
        await AllSeeAsync([_nodes[9]!], names);
        await Eventually.TrueAsync(() => _nodes[9]!.Role == RaftRole.Follower, "the observer follows the leader", Patience);
        await AppendAsync(leader, ["after"]);
        await AllSeeAsync(Live, [.. names, "after"]);
    }

    [Fact]
    public async Task DescribeQuorum_answers_as_kafka_metadata_quorum_reads_it()
    {
        var ports = RaftSocketNode.FreePorts(3);
        await StartAll(ports);
        var leader = await LeaderAsync();
        await AppendAsync(leader, ["d0", "d1"]);
        await AllSeeAsync(Live, ["d0", "d1"]);
        _nodes[7] = await RaftSocketNode.StartAsync(7, ports, _dir);
        await AllSeeAsync([_nodes[7]!], ["d0", "d1"]);

        await using var connection = await NodeConnection.ConnectAsync("127.0.0.1", leader.Port);
        var request = new DescribeQuorumRequest { Topics = [new() { TopicName = "__cluster_metadata", Partitions = [new() { PartitionIndex = 0 }] }] };
        DescribeQuorumResponse.PartitionData partition = null!;
        DescribeQuorumResponse response = null!;
        // Followers report their fetch position with their next fetch: wait until every voter has caught up.
        await Eventually.TrueAsync(() =>
        {
            response = connection.SendAsync<DescribeQuorumResponse>(request, 2).GetAwaiter().GetResult();
            partition = response.Topics.Single().Partitions.Single();
            return partition.CurrentVoters.All(v => v.LogEndOffset == partition.HighWatermark) && partition.Observers.Count == 1;
        }, "all voters caught up in DescribeQuorum", Patience);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(0, response.ErrorCode);
        Assert.Equal("__cluster_metadata", response.Topics[0].TopicName);
        Assert.Equal(0, partition.ErrorCode);
        Assert.Equal(leader.Id, partition.LeaderId);
        Assert.Equal(leader.Quorum.Leader.Epoch, partition.LeaderEpoch);
        Assert.Equal(leader.Quorum.Status.Current!.HighWatermark, partition.HighWatermark);
        Assert.Equal([1, 2, 3], partition.CurrentVoters.Select(v => v.ReplicaId).Order());
        Assert.Equal(7, partition.Observers.Single().ReplicaId);
        // kafka-metadata-quorum prints MaxFollowerLag (leader LEO - follower LEO) and lag times from wall-clock timestamps.
        foreach (var voter in partition.CurrentVoters.Where(v => v.ReplicaId != leader.Id).Append(partition.Observers[0]))
        {
            Assert.InRange(voter.LastFetchTimestamp, now - 60_000, now + 1_000);
            Assert.InRange(voter.LastCaughtUpTimestamp, now - 60_000, now + 1_000);
        }
        Assert.Equal([1, 2, 3], response.Nodes.Select(n => n.NodeId));
        Assert.All(response.Nodes, n => Assert.Equal(ports[n.NodeId], n.Listeners.Single().Port));

        // A follower does not describe the quorum: NOT_LEADER_OR_FOLLOWER, naming the leader.
        var follower = Live.First(n => n != leader && n.Id != 7);
        await using var toFollower = await NodeConnection.ConnectAsync("127.0.0.1", follower.Port);
        var fromFollower = (await toFollower.SendAsync<DescribeQuorumResponse>(request, 2)).Topics.Single().Partitions.Single();
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, fromFollower.ErrorCode);
        Assert.Equal(leader.Id, fromFollower.LeaderId);
    }
}
