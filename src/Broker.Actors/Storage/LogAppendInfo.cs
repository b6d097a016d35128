using Broker.Protocol.Messages;

namespace Broker.Actors.Storage;

/// <summary>Who is appending: the leader for a client, a follower copying the leader, or the broker itself.</summary>
public enum AppendOrigin
{
    Client,
    Replication,
    Coordinator,
}

/// <summary>The outcome of an append. On a duplicate idempotent batch, the offsets of the original.</summary>
public readonly record struct LogAppendInfo(
    ErrorCode ErrorCode,
    long FirstOffset,
    long LastOffset,
    long MaxTimestamp,
    long LogAppendTime,
    long LogStartOffset,
    int RecordCount,
    bool IsDuplicate)
{
    public bool IsSuccess => ErrorCode == ErrorCode.None;

    internal static LogAppendInfo Error(ErrorCode code, long logStartOffset) =>
        new(code, -1, -1, -1, -1, logStartOffset, 0, false);
}

/// <summary>An I/O level inconsistency in the log (e.g. a follower append that does not continue the log).</summary>
public sealed class LogStorageException(string message) : IOException(message);
