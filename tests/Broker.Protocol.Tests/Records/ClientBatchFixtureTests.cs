using System.Text;
using System.Text.Json;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records;

namespace Broker.Protocol.Tests.Records;

/// <summary>
/// Batches real clients produced (Fixtures/, captured by tests/compat/tools/capture_fixtures.sh):
/// every codec must decode them to exactly the records the capture sent.
/// </summary>
public class ClientBatchFixtureTests
{
    public static TheoryData<string, string, CompressionType> Frames() => new()
    {
        { "kcat", "produce-v7-none.bin", CompressionType.None },
        { "kcat", "produce-v7-gzip.bin", CompressionType.Gzip },
        { "kcat", "produce-v7-snappy.bin", CompressionType.Snappy },
        { "kcat", "produce-v7-lz4.bin", CompressionType.Lz4 },
        { "kcat", "produce-v7-zstd.bin", CompressionType.Zstd },
        { "kcat", "produce-v7-idempotent.bin", CompressionType.None },
        { "confluent-kafka", "produce-v7-none.bin", CompressionType.None },
        { "confluent-kafka", "produce-v7-snappy.bin", CompressionType.Snappy },
        { "kafka-python", "produce-v7-none.bin", CompressionType.None },
        { "kafka-python", "produce-v7-gzip.bin", CompressionType.Gzip },
        { "kafkajs", "produce-v7-none.bin", CompressionType.None },
        { "kafkajs", "produce-v7-gzip.bin", CompressionType.Gzip },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void ClientBatchDecodesToTheRecordsSent(string client, string file, CompressionType expected)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", client);
        var records = ProduceRecords(File.ReadAllBytes(Path.Combine(dir, file)));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "fixtures.json")));
        var sent = json.RootElement.GetProperty("records");

        var validation = RecordBatchValidator.Validate(records);
        Assert.True(validation.IsValid, validation.Message);
        Assert.True(RecordBatch.TryRead(records, out var batch, out var size));
        Assert.Equal(records.Length, size);
        Assert.Equal(expected, batch.Compression);
        Assert.True(batch.IsCrcValid);
        Assert.Equal(sent.GetArrayLength(), batch.RecordCount);
        if (file.Contains("idempotent", StringComparison.Ordinal))
        {
            Assert.True(batch.ProducerId >= 0);
            Assert.Equal(0, batch.BaseSequence);
        }

        using var scratch = new PooledBufferWriter();
        var i = 0;
        foreach (var r in batch.GetRecords(scratch))
        {
            var want = sent[i];
            Assert.Equal(i, r.OffsetDelta);
            Assert.True(batch.BaseTimestamp + r.TimestampDelta <= batch.MaxTimestamp);
            Assert.Equal(want.GetProperty("key").GetString(), Encoding.UTF8.GetString(r.Key));
            Assert.Equal(want.GetProperty("value").GetString(), Encoding.UTF8.GetString(r.Value));
            var headers = want.GetProperty("headers").EnumerateObject().ToList();
            Assert.Equal(headers.Count, r.HeaderCount);
            var h = 0;
            foreach (var header in r.Headers)
            {
                Assert.Equal(headers[h].Name, Encoding.UTF8.GetString(header.Key));
                Assert.Equal(headers[h].Value.GetString(), Encoding.UTF8.GetString(header.Value));
                h++;
            }
            i++;
        }
        Assert.Equal(sent.GetArrayLength(), i);
    }

    /// <summary>The single partition's records from a Produce v3-v8 request frame (non-flexible).</summary>
    internal static byte[] ProduceRecords(byte[] frame)
    {
        var reader = new KafkaReader(frame);
        Assert.Equal(0, reader.ReadInt16()); // api key
        var version = reader.ReadInt16();
        Assert.InRange(version, 3, 8);
        reader.ReadInt32(); // correlation id
        reader.ReadNullableString(); // client id
        reader.ReadNullableString(); // transactional id
        reader.ReadInt16(); // acks
        reader.ReadInt32(); // timeout
        Assert.Equal(1, reader.ReadArrayCount());
        reader.ReadString();
        Assert.Equal(1, reader.ReadArrayCount());
        reader.ReadInt32(); // partition
        var records = reader.ReadNullableBytes() ?? throw new InvalidOperationException("null records");
        return records.ToArray();
    }
}
