using BenchmarkDotNet.Attributes;
using Broker.Actors.Storage;

namespace Broker.Benchmarks.Storage;

/// <summary>
/// Append and read of one 16 x 1 KB batch through <see cref="Log"/> (page cache, no fsync per append).
/// The log is reset every 64 MB so a run does not fill the disk. For whole-GB throughput, recovery and
/// open times run <c>dotnet run -c Release -- storage-report</c> (<see cref="StorageReport"/>).
/// </summary>
[MemoryDiagnoser]
public class LogBenchmarks
{
    private string _dir = "";
    private Log _log = null!;
    private byte[] _template = [];
    private byte[] _batch = [];
    private Log _readLog = null!;
    private long _readOffset;

    [Params(1, 16)]
    public int RecordsPerBatch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = StorageData.TempDir("logbench");
        _log = Log.Open(Path.Combine(_dir, "append-0"), LogConfig.Default with { SegmentBytes = 64 * 1024 * 1024 });
        _template = StorageData.Batch(RecordsPerBatch);
        _batch = (byte[])_template.Clone();
        _readLog = Log.Open(Path.Combine(_dir, "read-0"), LogConfig.Default with { SegmentBytes = 16 * 1024 * 1024 });
        for (var i = 0; i < 64 * 1024 * 1024 / _template.Length; i++)
        {
            _readLog.Append((byte[])_template.Clone());
        }
    }

    [Benchmark]
    public long Append()
    {
        // Append rewrites offsets in place; the CRC does not cover them, so the same buffer is reusable.
        var info = _log.Append(_batch);
        if (_log.Current.Size > 64 * 1024 * 1024)
        {
            _log.TruncateFullyAndStartAt(_log.LogEndOffset);
        }
        return info.LastOffset;
    }

    [Benchmark]
    public int Read1MB()
    {
        using var result = _readLog.Read(_readOffset, 1024 * 1024, _readLog.LogEndOffset);
        _readOffset = result.Length == 0 ? 0 : _readOffset + 1024 * 1024 / (RecordsPerBatch * 1024) * RecordsPerBatch;
        if (_readOffset >= _readLog.LogEndOffset)
        {
            _readOffset = 0;
        }
        return result.Length;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Close();
        _readLog.Close();
        Directory.Delete(_dir, recursive: true);
    }
}
