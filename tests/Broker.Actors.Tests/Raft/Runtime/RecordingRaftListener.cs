using Broker.Actors.Raft;
using Broker.Actors.Raft.Runtime;

namespace Broker.Actors.Tests.Raft.Runtime;

/// <summary>Keeps what a RaftActor delivered, for assertions from the test thread.</summary>
public sealed class RecordingRaftListener : IRaftListener
{
    private readonly object _lock = new();
    private readonly List<(long Offset, int Epoch, RaftRecordType Type, byte[] Value)> _committed = new();

    public List<OffsetAndEpoch> Snapshots { get; } = new();

    public (long Offset, int Epoch, RaftRecordType Type, byte[] Value)[] Committed
    {
        get { lock (_lock) { return [.. _committed]; } }
    }

    public void OnCommitted(in RaftEntry entry)
    {
        lock (_lock)
        {
            if (_committed.Count > 0 && _committed[^1].Offset + 1 != entry.Offset && Snapshots.Count == 0)
            {
                throw new InvalidOperationException($"gap: {_committed[^1].Offset} then {entry.Offset}");
            }
            _committed.Add((entry.Offset, entry.Epoch, entry.Type, entry.Value.ToArray()));
        }
    }

    public void OnSnapshot(RaftSnapshot snapshot)
    {
        lock (_lock)
        {
            Snapshots.Add(snapshot.Id);
        }
    }

    public void OnLeaderChange(int leaderId, int epoch)
    {
    }

    /// <summary>The data values committed, in order, as strings.</summary>
    public string[] DataValues() =>
        Committed.Where(c => c.Type == RaftRecordType.Data).Select(c => System.Text.Encoding.UTF8.GetString(c.Value)).ToArray();
}
