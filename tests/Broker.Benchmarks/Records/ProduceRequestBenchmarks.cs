using BenchmarkDotNet.Attributes;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records;

namespace Broker.Benchmarks.Records;

/// <summary>
/// A ProduceRequest carrying one ~1 MB batch: decoding (the records stay a slice of the frame),
/// encoding into a reused buffer, and the produce path's decode + batch validation.
/// </summary>
[MemoryDiagnoser]
public class ProduceRequestBenchmarks
{
    private byte[] _frame = [];
    private ProduceRequest _request = null!;
    private PooledBufferWriter _output = null!;

    [Params((short)7, (short)9)]
    public short Version { get; set; }

    private static readonly BatchValidationOptions s_options = new() { MaxBatchSize = 2 << 20 };

    [GlobalSetup]
    public void Setup()
    {
        using var builder = new RecordBatchBuilder(CompressionType.None, 2 << 20);
        var value = new byte[90];
        new Random(1).NextBytes(value);
        for (var i = 0; i < 10_000; i++)
        {
            builder.Append(1_700_000_000_000 + i, BitConverter.GetBytes(i), false, value, false, default);
        }
        _request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 30_000,
            TopicData =
            {
                new ProduceRequest.TopicProduceData
                {
                    Name = "bench-topic",
                    PartitionData = { new ProduceRequest.PartitionProduceData { Index = 0, Records = builder.ToArray() } },
                },
            },
        };
        _frame = _request.ToArray(Version);
        _output = new PooledBufferWriter(_frame.Length + 1024);
    }

    [GlobalCleanup]
    public void Cleanup() => _output.Dispose();

    [Benchmark]
    public int Decode()
    {
        var request = new ProduceRequest();
        var reader = new KafkaReader(_frame);
        request.Read(ref reader, Version);
        return request.TopicData[0].PartitionData[0].Records!.Value.Length;
    }

    [Benchmark]
    public int Encode()
    {
        _output.Clear();
        return _request.WriteTo(_output, Version);
    }

    [Benchmark]
    public bool DecodeAndValidate()
    {
        var request = new ProduceRequest();
        var reader = new KafkaReader(_frame);
        request.Read(ref reader, Version);
        var records = request.TopicData[0].PartitionData[0].Records!.Value.Span;
        return RecordBatchValidator.Validate(records, s_options).IsValid;
    }
}
