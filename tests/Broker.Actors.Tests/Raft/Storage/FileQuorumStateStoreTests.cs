using Broker.Actors.Raft;
using Broker.Actors.Raft.Storage;

namespace Broker.Actors.Tests.Raft.Storage;

public sealed class FileQuorumStateStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "quorumstate-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void State_round_trips_through_kafkas_json_file()
    {
        var store = new FileQuorumStateStore(_dir, [1, 2, 3]);
        Assert.Equal(QuorumStateData.Initial, store.Read());
        store.Write(new QuorumStateData(7, 2, 3));
        Assert.Equal(new QuorumStateData(7, 2, 3), new FileQuorumStateStore(_dir, [1, 2, 3]).Read());
        var json = File.ReadAllText(Path.Combine(_dir, "quorum-state"));
        Assert.Contains("\"leaderEpoch\":7", json);
        Assert.Contains("\"votedId\":3", json);
        Assert.Contains("\"currentVoters\":[{\"voterId\":1}", json);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }
}
