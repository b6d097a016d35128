namespace Broker.Actors.Storage;

/// <summary>
/// Kafka error codes the log reports (numbers as on the wire). Kept local until the generated
/// ErrorCode enum in Broker.Protocol.Messages is available to switch to.
/// </summary>
public static class LogErrors
{
    public const short None = 0;
    public const short OffsetOutOfRange = 1;
    public const short CorruptMessage = 2;
    public const short MessageTooLarge = 10;
    public const short RecordListTooLarge = 18;
    public const short InvalidTimestamp = 32;
    public const short OutOfOrderSequenceNumber = 45;
    public const short DuplicateSequenceNumber = 46;
    public const short InvalidProducerEpoch = 47;
    public const short UnknownProducerId = 59;
    public const short InvalidRecord = 87;
    public const short ProducerFenced = 90;
}

/// <summary>Who is appending: the leader for a client, a follower copying the leader, or the broker itself.</summary>
public enum AppendOrigin
{
    Client,
    Replication,
    Coordinator,
}

/// <summary>The outcome of an append. On a duplicate idempotent batch, the offsets of the original.</summary>
public readonly record struct LogAppendInfo(
    short ErrorCode,
    long FirstOffset,
    long LastOffset,
    long MaxTimestamp,
    long LogAppendTime,
    long LogStartOffset,
    int RecordCount,
    bool IsDuplicate)
{
    public bool IsSuccess => ErrorCode == LogErrors.None;

    internal static LogAppendInfo Error(short code, long logStartOffset) =>
        new(code, -1, -1, -1, -1, logStartOffset, 0, false);
}

/// <summary>An I/O level inconsistency in the log (e.g. a follower append that does not continue the log).</summary>
public sealed class LogStorageException(string message) : IOException(message);
