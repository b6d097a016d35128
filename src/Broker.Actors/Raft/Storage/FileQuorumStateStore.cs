using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Actors.Storage;

namespace Broker.Actors.Raft.Storage;

/// <summary>
/// Kafka's <c>quorum-state</c> file: JSON with leaderEpoch, leaderId, votedId (and Kafka's other keys for
/// tools that read it). Each write goes to a temp file that is fsynced and renamed over the old one, so
/// the file always holds a whole state and <see cref="Write"/> returns only once it is durable.
/// </summary>
public sealed class FileQuorumStateStore : IQuorumStateStore
{
    public const string FileName = "quorum-state";

    private readonly string _path;
    private readonly IReadOnlyList<int> _voters;

    public FileQuorumStateStore(string dir, IReadOnlyList<int> voters)
    {
        Directory.CreateDirectory(dir);
        _path = Path.Combine(dir, FileName);
        _voters = voters;
    }

    public QuorumStateData Read()
    {
        if (!File.Exists(_path))
        {
            return QuorumStateData.Initial;
        }
        var node = JsonNode.Parse(File.ReadAllBytes(_path)) as JsonObject
            ?? throw new InvalidDataException($"{_path} is not a JSON object");
        return new QuorumStateData(
            Int(node, "leaderEpoch", 0),
            Int(node, "leaderId", -1),
            Int(node, "votedId", -1));
    }

    public void Write(QuorumStateData state)
    {
        var voters = new JsonArray();
        foreach (var id in _voters)
        {
            voters.Add(new JsonObject { ["voterId"] = id });
        }
        var json = new JsonObject
        {
            ["clusterId"] = "",
            ["leaderId"] = state.LeaderId,
            ["leaderEpoch"] = state.LeaderEpoch,
            ["votedId"] = state.VotedId,
            ["appliedOffset"] = 0,
            ["currentVoters"] = voters,
            ["data_version"] = 0,
        };
        StorageIo.WriteAtomically(_path, JsonSerializer.SerializeToUtf8Bytes(json));
    }

    private static int Int(JsonObject node, string key, int missing) =>
        node.TryGetPropertyValue(key, out var value) && value is not null ? value.GetValue<int>() : missing;
}
