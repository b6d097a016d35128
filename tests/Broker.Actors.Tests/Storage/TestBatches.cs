using System.Buffers.Binary;
using Broker.Protocol.Records;

namespace Broker.Actors.Tests.Storage;

/// <summary>Builds uncompressed v2 record batches with a correct CRC (until RecordBatchBuilder is available).</summary>
internal static class TestBatches
{
    public static byte[] Build(int records, int valueSize = 10, long timestamp = 1_000, long producerId = -1,
        short producerEpoch = -1, int baseSequence = -1, byte fill = 0x61, int timestampStep = 1)
    {
        var body = new List<byte>();
        for (var i = 0; i < records; i++)
        {
            var rec = new List<byte> { 0 };
            WriteVarLong(rec, (long)i * timestampStep);
            WriteVarLong(rec, i);
            WriteVarLong(rec, -1);
            WriteVarLong(rec, valueSize);
            for (var v = 0; v < valueSize; v++)
            {
                rec.Add(fill);
            }
            WriteVarLong(rec, 0);
            WriteVarLong(body, rec.Count);
            body.AddRange(rec);
        }
        var size = RecordBatch.HeaderSize + body.Count;
        var batch = new byte[size];
        var s = batch.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(s, 0);
        BinaryPrimitives.WriteInt32BigEndian(s.Slice(8), size - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(s.Slice(12), -1);
        s[16] = 2;
        BinaryPrimitives.WriteInt16BigEndian(s.Slice(21), 0);
        BinaryPrimitives.WriteInt32BigEndian(s.Slice(23), records - 1);
        BinaryPrimitives.WriteInt64BigEndian(s.Slice(27), timestamp);
        BinaryPrimitives.WriteInt64BigEndian(s.Slice(35), timestamp + (long)(records - 1) * timestampStep);
        BinaryPrimitives.WriteInt64BigEndian(s.Slice(43), producerId);
        BinaryPrimitives.WriteInt16BigEndian(s.Slice(51), producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(s.Slice(53), baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(s.Slice(57), records);
        body.CopyTo(batch, RecordBatch.HeaderSize);
        BinaryPrimitives.WriteUInt32BigEndian(s.Slice(17), new RecordBatch(batch).ComputeCrc());
        return batch;
    }

    /// <summary>Concatenates batches into one produce payload.</summary>
    public static byte[] Concat(params byte[][] batches) => batches.SelectMany(b => b).ToArray();

    /// <summary>Splits a read result into (base offset, last offset, record count) per batch, checking CRCs.</summary>
    public static List<(long Base, long Last, int Count)> Batches(ReadOnlySpan<byte> bytes)
    {
        var result = new List<(long, long, int)>();
        var pos = 0;
        while (pos < bytes.Length)
        {
            Assert.True(RecordBatch.TryRead(bytes.Slice(pos), out var batch, out var size), $"whole batch at {pos}");
            Assert.True(batch.IsCrcValid, "crc");
            result.Add((batch.BaseOffset, batch.LastOffset, batch.RecordCount));
            pos += size;
        }
        return result;
    }

    private static void WriteVarLong(List<byte> output, long value)
    {
        var v = (ulong)((value << 1) ^ (value >> 63));
        while (v >= 0x80)
        {
            output.Add((byte)(v | 0x80));
            v >>= 7;
        }
        output.Add((byte)v);
    }
}

/// <summary>A temporary log directory removed after the test.</summary>
internal sealed class TempLogDir : IDisposable
{
    public TempLogDir()
    {
        Root = Path.Combine(Path.GetTempPath(), "akkabroker-storage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PartitionDir(string topic = "t", int partition = 0) => Path.Combine(Root, $"{topic}-{partition}");

    /// <summary>
    /// A kill -9 stand-in: copies a live log's files (everything written is in the page cache, nothing
    /// was closed cleanly) to a new partition directory to be opened as after a crash.
    /// </summary>
    public string CrashCopy(string sourceDir, int partition)
    {
        var target = PartitionDir("crash", partition);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(sourceDir))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        return target;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A settable clock for retention and roll tests.</summary>
internal sealed class ManualTime(long startMs) : TimeProvider
{
    public long NowMs { get; set; } = startMs;
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
}
