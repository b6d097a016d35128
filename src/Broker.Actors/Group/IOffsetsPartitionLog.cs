using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>Called for each record of the partition in offset order; a null value is a tombstone.</summary>
public delegate void OffsetsRecordVisitor(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? value, long timestamp);

/// <summary>
/// One __consumer_offsets partition as its coordinator shard sees it: read it all once when the shard
/// loads (event sourcing), then append records. The shard is the partition's only writer of group records.
/// </summary>
public interface IOffsetsPartitionLog
{
    int Partition { get; }

    /// <summary>Visits every record from the log start to the high watermark (runs on the shard's thread while it loads).</summary>
    void Replay(OffsetsRecordVisitor visitor);

    /// <summary>Appends one batch (v2, offsets assigned by the log); <paramref name="completed"/> may run on any thread.</summary>
    void Append(byte[] batch, Action<ErrorCode> completed);
}
