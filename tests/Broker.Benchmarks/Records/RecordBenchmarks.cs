using BenchmarkDotNet.Attributes;
using Broker.Protocol.Records;

namespace Broker.Benchmarks.Records;

/// <summary>
/// Iterating and building a ~1 MB batch of 10,000 records (16-byte key, 80-byte value, one header),
/// uncompressed and lz4. Iteration must allocate nothing; building allocates nothing once warm.
/// </summary>
[MemoryDiagnoser]
public class RecordBenchmarks
{
    private const int RecordCount = 10_000;
    private readonly byte[][] _keys = new byte[RecordCount][];
    private readonly byte[] _value = new byte[80];
    private readonly RecordHeaderData[] _headers = [new RecordHeaderData("trace", new byte[16])];
    private byte[] _batch = [];
    private byte[] _lz4Batch = [];
    private RecordBatchBuilder _builder = null!;
    private RecordBatchBuilder _lz4Builder = null!;
    private PooledBufferWriter _output = null!;
    private PooledBufferWriter _scratch = null!;

    private static readonly BatchValidationOptions s_options = new() { MaxBatchSize = 2 << 20 };

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        rng.NextBytes(_value);
        for (var i = 0; i < RecordCount; i++)
        {
            _keys[i] = new byte[16];
            rng.NextBytes(_keys[i]);
        }
        _builder = new RecordBatchBuilder(CompressionType.None, 2 << 20);
        _lz4Builder = new RecordBatchBuilder(CompressionType.Lz4, 2 << 20);
        _output = new PooledBufferWriter(4 << 20);
        _scratch = new PooledBufferWriter(4 << 20);
        Fill(_builder);
        _batch = _builder.ToArray();
        Fill(_lz4Builder);
        _lz4Batch = _lz4Builder.ToArray();
        Console.WriteLine($"// batch: {_batch.Length} bytes, lz4: {_lz4Batch.Length} bytes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _builder.Dispose();
        _lz4Builder.Dispose();
        _output.Dispose();
        _scratch.Dispose();
    }

    private void Fill(RecordBatchBuilder builder)
    {
        builder.Reset();
        for (var i = 0; i < RecordCount; i++)
        {
            builder.Append(1_700_000_000_000 + i, _keys[i], false, _value, false, _headers);
        }
    }

    [Benchmark]
    public long IterateRecords_1MB()
    {
        long sum = 0;
        foreach (var r in new RecordBatch(_batch).GetRecords())
        {
            sum += r.Key.Length + r.Value.Length + r.OffsetDelta;
            foreach (var h in r.Headers)
            {
                sum += h.Value.Length;
            }
        }
        return sum;
    }

    [Benchmark]
    public long DecompressAndIterate_Lz4_1MB()
    {
        long sum = 0;
        foreach (var r in new RecordBatch(_lz4Batch).GetRecords(_scratch))
        {
            sum += r.Key.Length + r.Value.Length;
        }
        return sum;
    }

    [Benchmark]
    public bool Validate_1MB() => RecordBatchValidator.Validate(_batch, s_options).IsValid;

    [Benchmark]
    public int Build_1MB()
    {
        Fill(_builder);
        _output.Clear();
        return _builder.WriteTo(_output);
    }

    [Benchmark]
    public int Build_Lz4_1MB()
    {
        Fill(_lz4Builder);
        _output.Clear();
        return _lz4Builder.WriteTo(_output);
    }
}
