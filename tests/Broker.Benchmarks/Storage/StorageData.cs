using Broker.Protocol.Records;

namespace Broker.Benchmarks.Storage;

/// <summary>Batches of 1 KB records, as a producer with batch.size 16 KB would send them.</summary>
internal static class StorageData
{
    public static byte[] Batch(int records, int recordBytes = 1024, long timestamp = 1_700_000_000_000)
    {
        using var builder = new RecordBatchBuilder(CompressionType.None, records * (recordBytes + 32) + 128);
        var value = new byte[recordBytes];
        new Random(42).NextBytes(value);
        for (var i = 0; i < records; i++)
        {
            builder.Append(timestamp + i, null, value);
        }
        return builder.ToArray();
    }

    public static string TempDir(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), "akkabroker-bench", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }
}
