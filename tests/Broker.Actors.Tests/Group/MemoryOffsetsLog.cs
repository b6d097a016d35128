using Broker.Actors.Group;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Actors.Tests.Group;

/// <summary>
/// An in-memory __consumer_offsets partition for shard tests: appends are decoded into records (so a
/// test reads exactly what a shard wrote), completed at once or held until <see cref="Release"/>.
/// A new shard over the same instance replays what the previous one wrote (a restart).
/// </summary>
internal sealed class MemoryOffsetsLog(int partition = 0) : IOffsetsPartitionLog
{
    private readonly object _lock = new();
    private readonly List<(byte[] Key, byte[]? Value, long Timestamp)> _records = [];
    private readonly List<Action> _held = [];

    public int Partition { get; } = partition;

    /// <summary>When set, appends wait for <see cref="Release"/>.</summary>
    public bool Hold { get; set; }

    /// <summary>The error appends complete with from now on (nothing is stored then).</summary>
    public ErrorCode FailWith { get; set; }

    public IReadOnlyList<(byte[] Key, byte[]? Value, long Timestamp)> Records
    {
        get
        {
            lock (_lock)
            {
                return _records.ToList();
            }
        }
    }

    /// <summary>Puts a record in the partition as if an earlier incarnation had written it.</summary>
    public void Seed(byte[] key, byte[]? value, long timestamp = 0)
    {
        lock (_lock)
        {
            _records.Add((key, value, timestamp));
        }
    }

    /// <summary>When set, a replay waits for it (a shard that is still loading).</summary>
    public ManualResetEventSlim? ReplayGate { get; set; }

    public void Replay(OffsetsRecordVisitor visitor)
    {
        ReplayGate?.Wait(TimeSpan.FromSeconds(60));
        foreach (var (key, value, timestamp) in Records)
        {
            visitor(key, value is null ? null : (ReadOnlyMemory<byte>?)value, timestamp);
        }
    }

    public void Append(byte[] batch, Action<ErrorCode> completed)
    {
        var decoded = new List<(byte[], byte[]?, long)>();
        var view = new RecordBatch(batch);
        foreach (var record in view.GetRecords())
        {
            decoded.Add((record.Key.ToArray(), record.ValueIsNull ? null : record.Value.ToArray(), view.TimestampOf(record)));
        }
        void Complete()
        {
            var fail = FailWith;
            if (fail == ErrorCode.None)
            {
                lock (_lock)
                {
                    _records.AddRange(decoded);
                }
            }
            completed(fail);
        }
        lock (_lock)
        {
            if (Hold)
            {
                _held.Add(Complete);
                return;
            }
        }
        Complete();
    }

    public int HeldCount
    {
        get
        {
            lock (_lock)
            {
                return _held.Count;
            }
        }
    }

    public void Release()
    {
        List<Action> held;
        lock (_lock)
        {
            Hold = false;
            held = _held.ToList();
            _held.Clear();
        }
        foreach (var complete in held)
        {
            complete();
        }
    }
}
