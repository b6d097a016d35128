using BenchmarkDotNet.Attributes;
using Broker.Protocol.Records;
using Broker.Protocol.Records.Compression;

namespace Broker.Benchmarks.Records;

/// <summary>Each codec compressing and decompressing 1 MB of record-like (compressible) data.</summary>
[MemoryDiagnoser]
public class CompressionBenchmarks
{
    private byte[] _data = [];
    private byte[] _compressed = [];
    private ICompressionCodec _codec = null!;
    private PooledBufferWriter _output = null!;

    [Params(CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd)]
    public CompressionType Codec { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _codec = CompressionCodecs.Get(Codec);
        _output = new PooledBufferWriter(4 << 20);
        var rng = new Random(1);
        var words = new[] { "order-", "customer-", "\"amount\":", "\"currency\":\"EUR\",", "{\"id\":", "}," };
        using var text = new PooledBufferWriter(2 << 20);
        while (text.WrittenCount < 1 << 20)
        {
            text.Write(System.Text.Encoding.ASCII.GetBytes(words[rng.Next(words.Length)] + rng.Next(100_000)));
        }
        _data = text.WrittenSpan.Slice(0, 1 << 20).ToArray();
        _codec.Compress(_data, _output);
        _compressed = _output.WrittenSpan.ToArray();
        Console.WriteLine($"// {Codec}: 1 MB -> {_compressed.Length} bytes");
    }

    [GlobalCleanup]
    public void Cleanup() => _output.Dispose();

    [Benchmark]
    public int Compress_1MB()
    {
        _output.Clear();
        _codec.Compress(_data, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Decompress_1MB()
    {
        _output.Clear();
        return _codec.Decompress(_compressed, _output, 2 << 20);
    }
}
