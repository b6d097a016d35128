using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Tests.Messages;

/// <summary>Truncated frames and lying lengths must fail with ProtocolException, never IndexOutOfRange or OutOfMemory.</summary>
public sealed class MalformedInputTests
{
    public static IEnumerable<object[]> AllTypes() => MessageCatalog.AllTypeNames();

    private static void Parse(Type type, byte[] bytes, short version)
    {
        var message = (IKafkaMessage)Activator.CreateInstance(type)!;
        var reader = new KafkaReader(bytes);
        message.Read(ref reader, version);
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void EveryPrefixOfAnEncodedMessageThrowsProtocolException(string typeName)
    {
        var type = MessageCatalog.Find(typeName);
        var (lowest, highest) = MessageCatalog.Versions(type);
        var random = new RandomMessages(MessageCatalog.StableSeed(typeName) ^ 0x5a5a);
        foreach (var version in new[] { lowest, highest }.Distinct())
        {
            var bytes = ((IKafkaMessage)random.Create(type, version)).ToArray(version);
            for (var cut = 0; cut < bytes.Length; cut++)
            {
                var prefix = bytes[..cut];
                var ex = Record.Exception(() => Parse(type, prefix, version));
                Assert.True(ex is ProtocolException, $"{type.Name} v{version} cut at {cut}/{bytes.Length}: {ex?.GetType().Name ?? "no exception"}");
            }
        }
    }

    [Theory]
    [InlineData("7fffffff", (short)1)] // classic array count far beyond the frame
    [InlineData("fffffff7", (short)1)] // negative count other than -1
    [InlineData("00000001 7fff 74", (short)1)] // string length 32767 with one byte present
    [InlineData("00000001 fffe", (short)1)] // negative string length
    [InlineData("ffffffff0f", (short)12)] // compact array count uvarint 2^32-1
    [InlineData("80808080808001", (short)12)] // uvarint longer than 5 bytes
    [InlineData("02 000102030405060708090a0b0c0d0e0f ffffff7f", (short)12)] // compact string length ~268M
    public void LyingLengthsInMetadataRequestThrowProtocolException(string hex, short version)
    {
        var bytes = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        Assert.Throws<ProtocolException>(() => Parse(typeof(MetadataRequest), bytes, version));
    }

    [Fact]
    public void HugeRecordsLengthInProduceRequestThrows()
    {
        // ProduceRequest v3: txn id null, acks, timeout, 1 topic "t", 1 partition, records length 2^31-1.
        var bytes = Convert.FromHexString("ffff" + "ffff" + "000003e8" + "00000001" + "000174" + "00000001" + "00000000" + "7fffffff" + "01");
        Assert.Throws<ProtocolException>(() => Parse(typeof(ProduceRequest), bytes, 3));
    }

    [Fact]
    public void TaggedFieldWhoseSizeDisagreesWithItsValueThrows()
    {
        // ApiVersionsResponse v3, tag 1 (FinalizedFeaturesEpoch, an int64) declared as 2 bytes long.
        var bytes = Convert.FromHexString("0000" + "01" + "00000000" + "01" + "01" + "02" + "0000000000000005");
        Assert.Throws<ProtocolException>(() => Parse(typeof(ApiVersionsResponse), bytes, 3));
    }

    [Fact]
    public void TaggedFieldSizeBeyondTheFrameThrows()
    {
        var bytes = Convert.FromHexString("0000" + "01" + "00000000" + "01" + "07" + "ffffffff07");
        Assert.Throws<ProtocolException>(() => Parse(typeof(ApiVersionsResponse), bytes, 3));
    }

    [Fact]
    public void NullInAVersionThatCannotEncodeItThrowsOnWrite()
    {
        // MetadataRequest topic names are nullable only from v10.
        var request = new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = null }] };
        Assert.Throws<InvalidOperationException>(() => request.Size(9));
        Assert.Equal(1 + 16 + 1 + 1 + 1 + 1 + 1 + 1, request.Size(10));
    }

    [Fact]
    public void ArraysOfMinimalElementsStillParse()
    {
        // The count check assumes each element takes at least its minimum encoded size; elements of
        // exactly that size must still be accepted. MetadataRequest v1: three topics with empty names.
        var request = KafkaMessageExtensions.Parse<MetadataRequest>(Convert.FromHexString("00000003" + "0000" + "0000" + "0000"), 1);
        Assert.Equal(3, request.Topics!.Count);
        // ProduceRequest v9: one topic "" with one partition whose records are null: 1+1 +1 +4+1+1 +1 bytes.
        var produce = KafkaMessageExtensions.Parse<ProduceRequest>(Convert.FromHexString("00" + "0000" + "00000000" + "02" + "01" + "02" + "00000000" + "00" + "00" + "00" + "00"), 9);
        Assert.Null(produce.TopicData[0].PartitionData[0].Records);
    }

    [Fact]
    public void ArrayCountBeyondTheMinimalElementSizeIsRejected()
    {
        // Four topics cannot fit in 6 bytes when each needs at least 2 (an int16 string length).
        Assert.Throws<ProtocolException>(() => Parse(typeof(MetadataRequest), Convert.FromHexString("00000004" + "0000" + "0000" + "0000"), 1));
    }
}
