using System.Buffers.Binary;
using Broker.Actors.Storage;

namespace Broker.Actors.Tests.Storage;

/// <summary>The recovery scan reads batches through a small buffer; batches across its chunk boundaries keep their own header.</summary>
public class BatchScannerTests
{
    [Fact]
    public void Validating_scan_reports_each_batch_offsets_across_chunk_boundaries()
    {
        var path = Path.Combine(Path.GetTempPath(), $"scanner-{Guid.NewGuid():N}.log");
        try
        {
            var batches = new List<byte[]>();
            for (var i = 0; i < 40; i++)
            {
                var batch = TestBatches.Build(3, valueSize: 17 + i);
                BinaryPrimitives.WriteInt64BigEndian(batch, i * 3L);
                batches.Add(batch);
            }
            File.WriteAllBytes(path, TestBatches.Concat([.. batches]));
            using var handle = File.OpenHandle(path);
            using var scanner = new BatchScanner(handle, 0, new FileInfo(path).Length, validate: true, chunkSize: 256);
            var seen = 0;
            while (scanner.Next(out var info) == ScanStatus.Batch)
            {
                Assert.Equal((seen * 3L, seen * 3L + 2), (info.BaseOffset, info.LastOffset));
                seen++;
            }
            Assert.Equal(40, seen);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
