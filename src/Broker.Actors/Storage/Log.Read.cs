using Broker.Protocol.Messages;

namespace Broker.Actors.Storage;

/// <summary>Kafka's special ListOffsets timestamps.</summary>
public static class ListOffsetsTimestamp
{
    public const long Latest = -1;
    public const long Earliest = -2;
    public const long MaxTimestamp = -3;
}

public sealed partial class Log
{
    /// <summary>
    /// Reads from the latest snapshot without blocking the writer (see <see cref="LogSnapshot"/>).
    /// <paramref name="maxOffset"/> is the high watermark for consumers or the log end for followers.
    /// </summary>
    public LogReadResult Read(long fetchOffset, int maxBytes, long maxOffset, bool minOneMessage = true)
    {
        for (var attempt = 0; ; attempt++)
        {
            var snapshot = Current;
            var result = snapshot.TryRead(fetchOffset, maxBytes, maxOffset, minOneMessage);
            if (result is not null)
            {
                return result;
            }
            if (attempt >= 16 || ReferenceEquals(snapshot, Current))
            {
                // The segment went away and the log has not published since: it was deleted below us.
                return new LogReadResult(ErrorCode.OffsetOutOfRange, null, 0, -1, Current);
            }
        }
    }

    /// <summary>
    /// ListOffsets: earliest (-2), latest (-1, the log end; the caller caps at the high watermark for
    /// read_committed/uncommitted isolation as needed), max timestamp (-3), or the first record with
    /// timestamp &gt;= <paramref name="timestamp"/>.
    /// </summary>
    public TimestampAndOffset FetchOffsetByTimestamp(long timestamp)
    {
        var snapshot = Current;
        switch (timestamp)
        {
            case ListOffsetsTimestamp.Earliest:
                return new TimestampAndOffset(-1, snapshot.LogStartOffset);
            case ListOffsetsTimestamp.Latest:
                return new TimestampAndOffset(-1, snapshot.LogEndOffset);
            case ListOffsetsTimestamp.MaxTimestamp:
                return MaxTimestampOf(snapshot);
        }
        if (timestamp < 0)
        {
            return new TimestampAndOffset(-1, -1);
        }
        var segments = snapshot.Segments;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var end = i == segments.Length - 1 ? snapshot.ActiveEndPosition : segment.Size;
            if (segment.MaxTimestampSoFar < timestamp || !segment.TryAcquire())
            {
                continue;
            }
            try
            {
                var found = segment.FindOffsetByTimestamp(timestamp, snapshot.LogStartOffset, end);
                if (found.Offset >= 0)
                {
                    return found;
                }
            }
            finally
            {
                segment.Release();
            }
        }
        return new TimestampAndOffset(-1, -1);
    }

    private static TimestampAndOffset MaxTimestampOf(LogSnapshot snapshot)
    {
        var best = new TimestampAndOffset(-1, -1);
        foreach (var segment in snapshot.Segments)
        {
            var ts = segment.MaxTimestampSoFar;
            if (ts > best.Timestamp && segment.OffsetOfMaxTimestampSoFar >= snapshot.LogStartOffset)
            {
                best = new TimestampAndOffset(ts, segment.OffsetOfMaxTimestampSoFar);
            }
        }
        return best;
    }
}
