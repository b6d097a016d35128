using System.Collections.Concurrent;
using Broker.Actors.Kernel;
using Broker.Actors.Raft;
using Broker.Actors.Raft.Runtime;

namespace Broker.Actors.Tests.Raft.Runtime;

/// <summary>RaftActors on one actor system, talking through an in-memory transport (the socket tests are in Broker.Host.Tests).</summary>
public sealed class RaftActorLoopbackTests : IDisposable
{
    private readonly ActorSystem Sys = ActorSystem.Create("raft-loopback");
    private readonly string _root = Path.Combine(Path.GetTempPath(), "raftactor-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<int, ActorRef> _actors = new();

    public void Dispose()
    {
        Sys.Terminate().Wait(TimeSpan.FromSeconds(30));
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private sealed class Loopback(ConcurrentDictionary<int, ActorRef> actors, int self) : IRaftTransport
    {
        public Task<RaftMessage> SendAsync(int destination, RaftMessage request, CancellationToken cancellationToken)
        {
            if (!actors.TryGetValue(destination, out var actor))
            {
                return Task.FromException<RaftMessage>(new IOException($"node {destination} is down"));
            }
            var reply = new TaskCompletionSource<RaftMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            actor.Tell(new RaftInbound(self, request, m => reply.TrySetResult(m)));
            return reply.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
    }

    private (RaftStatusBoard Status, RecordingRaftListener Listener) Start(int id, int[] voters)
    {
        // Kafka's election timeout and a fetch timeout far above any stall of a loaded machine (2 shared cores): with
        // 300/600 ms a follower that missed a fetch or two stood for election in the middle of the proposals, which
        // then failed as not-leader. Elections after a leader dies are the socket tests' and the simulation's.
        var config = new RaftConfig(id, voters) { ElectionTimeoutMs = 1000, FetchTimeoutMs = 10_000, RequestTimeoutMs = 2000, FetchMaxWaitMs = 200, AppendLingerMs = 5 };
        var listener = new RecordingRaftListener();
        var settings = new RaftActorSettings(config, Path.Combine(_root, $"node{id}"), new Loopback(_actors, id), listener);
        _actors[id] = Sys.ActorOf(RaftActor.Props(settings), $"raft-{id}-{Guid.NewGuid():N}");
        return (settings.Status, listener);
    }

    private static async Task<T> Eventually<T>(Func<T?> probe, string what, int seconds = 30) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } value)
            {
                return value;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"timed out waiting for {what}");
    }

    [Fact]
    public async Task Three_members_elect_a_leader_and_commit_proposals_everywhere_in_order()
    {
        int[] voters = [1, 2, 3];
        var nodes = voters.Select(id => Start(id, voters)).ToArray();
        var leader = await Eventually(() => nodes.Select(n => n.Status.Current).FirstOrDefault(s => s?.Role == RaftRole.Leader), "a leader");
        var commits = new List<Task<long>>();
        for (var i = 0; i < 20; i++)
        {
            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _actors[leader.NodeId].Tell(new RaftPropose(leader.Epoch, System.Text.Encoding.UTF8.GetBytes($"r{i}"), done));
            commits.Add(done.Task);
        }
        var offsets = await Task.WhenAll(commits).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(offsets.OrderBy(o => o), offsets);
        string[] expected = [.. Enumerable.Range(0, 20).Select(i => $"r{i}")];
        foreach (var (_, listener) in nodes)
        {
            await Eventually(() => listener.DataValues().Length >= 20 ? listener : null, "commits on every node");
            Assert.Equal(expected, listener.DataValues());
        }

        // A stale epoch is refused (epochs only grow, so it is never the current one).
        var wrongEpoch = new TaskCompletionSource<long>();
        _actors[leader.NodeId].Tell(new RaftPropose(leader.Epoch - 1, new byte[] { 1 }, wrongEpoch));
        await Assert.ThrowsAsync<RaftNotLeaderException>(() => wrongEpoch.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
