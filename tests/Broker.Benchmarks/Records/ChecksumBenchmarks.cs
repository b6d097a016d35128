using BenchmarkDotNet.Attributes;
using Broker.Protocol.Records;

namespace Broker.Benchmarks.Records;

/// <summary>CRC-32C (every v2 batch, on produce and on recovery) and CRC-32 (legacy messages, gzip) over 1 MB.
/// Throughput = 1 MB / mean; the CRC-32C target is 5 GB/s or more (under 200 us).</summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private readonly byte[] _data = new byte[1024 * 1024];

    [GlobalSetup]
    public void Setup() => new Random(1).NextBytes(_data);

    [Benchmark(Baseline = true)]
    public uint Crc32C_1MB() => Crc32C.Compute(_data);

    [Benchmark]
    public uint Crc32Ieee_1MB() => Crc32.Compute(_data);
}
