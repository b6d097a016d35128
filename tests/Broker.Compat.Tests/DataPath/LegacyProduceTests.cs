using System.Buffers.Binary;
using System.Text;
using Broker.Compat.Tests.Harness;
using Broker.Compat.Tests.Hostile;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Compat.Tests.DataPath;

/// <summary>
/// Produce v0-2 carries legacy message sets (magic 0 and 1). The broker converts them to v2
/// batches, so a modern consumer reads them with keys, values and (magic 1) timestamps intact.
/// </summary>
public sealed class LegacyProduceTests
{
    [Theory(Timeout = 120_000)]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    public async Task Legacy_message_sets_are_stored_as_v2_and_read_back(short version, byte magic)
    {
        await using var broker = await BrokerProcess.StartAsync();
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);
        Assert.Equal((short)ErrorCode.None, (await RawRequests.CreateTopicAsync(client, "legacy")).ErrorCode);

        for (var round = 0; round < 2; round++)
        {
            var set = MessageSet(magic, 1_700_000_000_000, [.. Enumerable.Range(round * 3, 3).Select(i => ($"key-{i}", $"value-{i}"))]);
            var response = await client.SendAsync<ProduceResponse>(ApiKey.Produce, version, RawRequests.Produce("legacy", 0, set));
            var partition = response.Responses.Single().PartitionResponses.Single();
            Assert.Equal((short)ErrorCode.None, partition.ErrorCode);
            Assert.Equal(round * 3, partition.BaseOffset);
        }

        var corrupt = MessageSet(magic, 1_700_000_000_000, [("k", "v")]);
        corrupt[^1] ^= 0x33;
        var bad = await client.SendAsync<ProduceResponse>(ApiKey.Produce, version, RawRequests.Produce("legacy", 0, corrupt));
        Assert.Equal((short)ErrorCode.CorruptMessage, bad.Responses.Single().PartitionResponses.Single().ErrorCode);

        var records = await new Kcat(broker.BootstrapServers, TimeSpan.FromSeconds(60)).ConsumeAsync("legacy", 0, 0, 6);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(i, records[i].Offset);
            Assert.Equal($"key-{i}", records[i].Key);
            Assert.Equal($"value-{i}", records[i].Value);
            if (magic == 1)
            {
                Assert.Equal(1_700_000_000_000 + (i % 3), records[i].Timestamp);
            }
        }
    }

    /// <summary>An uncompressed legacy message set: offset, size, then CRC, magic, attributes, [timestamp], key, value.</summary>
    private static byte[] MessageSet(byte magic, long timestamp, (string Key, string Value)[] messages)
    {
        using var stream = new MemoryStream();
        for (var i = 0; i < messages.Length; i++)
        {
            var key = Encoding.UTF8.GetBytes(messages[i].Key);
            var value = Encoding.UTF8.GetBytes(messages[i].Value);
            var body = new byte[1 + 1 + (magic == 1 ? 8 : 0) + 4 + key.Length + 4 + value.Length];
            var s = body.AsSpan();
            s[0] = magic;
            s[1] = 0;
            var p = 2;
            if (magic == 1)
            {
                BinaryPrimitives.WriteInt64BigEndian(s[p..], timestamp + i);
                p += 8;
            }
            BinaryPrimitives.WriteInt32BigEndian(s[p..], key.Length);
            key.CopyTo(s[(p + 4)..]);
            p += 4 + key.Length;
            BinaryPrimitives.WriteInt32BigEndian(s[p..], value.Length);
            value.CopyTo(s[(p + 4)..]);
            var header = new byte[8 + 4 + 4];
            BinaryPrimitives.WriteInt64BigEndian(header, i);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 4 + body.Length);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), Crc32.Compute(body));
            stream.Write(header);
            stream.Write(body);
        }
        return stream.ToArray();
    }
}
