using Broker.Actors.Storage;
using Broker.Protocol.Records;

namespace Broker.Actors.Tests.Storage;

public class ListOffsetsTests
{
    [Fact]
    public void OffsetForTimestampFindsTheFirstRecordAtOrAfterIt()
    {
        using var dir = new TempLogDir();
        using var log = Log.Open(dir.PartitionDir(), LogAppendReadTests.SmallSegments);
        // Batch i holds 4 records with timestamps 10_000 + 100 i + {0, 10, 20, 30}.
        for (var i = 0; i < 200; i++)
        {
            log.Append(TestBatches.Build(4, valueSize: 30, timestamp: 10_000 + 100 * i, timestampStep: 10));
        }
        Assert.True(log.SegmentCount > 3);
        Assert.Equal(new TimestampAndOffset(10_000, 0), log.FetchOffsetByTimestamp(0));
        Assert.Equal(new TimestampAndOffset(10_000 + 100 * 57 + 20, 57 * 4 + 2), log.FetchOffsetByTimestamp(10_000 + 100 * 57 + 15));
        Assert.Equal(new TimestampAndOffset(10_000 + 100 * 150, 150 * 4), log.FetchOffsetByTimestamp(10_000 + 100 * 150 - 50));
        Assert.Equal(new TimestampAndOffset(-1, -1), log.FetchOffsetByTimestamp(10_000 + 100 * 199 + 31));
        Assert.Equal(new TimestampAndOffset(-1, 0), log.FetchOffsetByTimestamp(ListOffsetsTimestamp.Earliest));
        Assert.Equal(new TimestampAndOffset(-1, 800), log.FetchOffsetByTimestamp(ListOffsetsTimestamp.Latest));
        Assert.Equal(new TimestampAndOffset(10_000 + 100 * 199 + 30, 799), log.FetchOffsetByTimestamp(ListOffsetsTimestamp.MaxTimestamp));
    }

    [Fact]
    public void TimestampLookupSurvivesACleanRestartAndCompression()
    {
        using var dir = new TempLogDir();
        var path = dir.PartitionDir();
        long end;
        using (var log = Log.Open(path, LogAppendReadTests.SmallSegments))
        {
            for (var i = 0; i < 100; i++)
            {
                using var builder = new RecordBatchBuilder(CompressionType.Gzip);
                for (var r = 0; r < 5; r++)
                {
                    builder.Append(1_000 + 10 * i + r, null, new byte[40]);
                }
                log.Append(builder.ToArray());
            }
            end = log.LogEndOffset;
            log.Close();
        }
        using var reopened = Log.Open(path, LogAppendReadTests.SmallSegments, new LogStartupState(end, 0, end, true));
        Assert.Equal(new TimestampAndOffset(1_000 + 10 * 42 + 3, 42 * 5 + 3), reopened.FetchOffsetByTimestamp(1_000 + 10 * 42 + 3));
        Assert.Equal(new TimestampAndOffset(1_000 + 10 * 99 + 4, 499), reopened.FetchOffsetByTimestamp(ListOffsetsTimestamp.MaxTimestamp));
    }
}
