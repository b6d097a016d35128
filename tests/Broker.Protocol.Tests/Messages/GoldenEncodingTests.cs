using Broker.Protocol.Messages;

namespace Broker.Protocol.Tests.Messages;

/// <summary>Encodings worked out by hand from the specs, so a mistake the writer and reader share still fails.</summary>
public sealed class GoldenEncodingTests
{
    private static void AssertEncodes<T>(T message, short version, string hex) where T : IKafkaMessage, new()
    {
        var expected = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(message.ToArray(version)));
        var parsed = KafkaMessageExtensions.Parse<T>(expected, version);
        Assert.Null(MessageComparer.Difference(message, parsed, version));
    }

    [Fact]
    public void ApiVersionsRequestV3_UsesCompactStringsAndAnEmptyTagSection()
    {
        // v3 is flexible: compact strings are uvarint(len + 1) then UTF-8; the struct ends with 0 tags.
        var request = new ApiVersionsRequest { ClientSoftwareName = "abc", ClientSoftwareVersion = "1.0" };
        AssertEncodes(request, 3, "04 616263 04 312e30 00");
    }

    [Fact]
    public void ApiVersionsRequestV0_IsEmpty()
    {
        // The client software fields start in v3; v0 has no fields at all.
        AssertEncodes(new ApiVersionsRequest { ClientSoftwareName = "abc" }, 0, "");
    }

    [Fact]
    public void MetadataRequestV1_OneTopic()
    {
        // int32 array count, then int16-length string; TopicId (v10+) and AllowAutoTopicCreation (v4+) are absent.
        var request = new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "t1" }] };
        AssertEncodes(request, 1, "00000001 0002 7431");
    }

    [Fact]
    public void MetadataRequestV1_NullTopicsMeansAllTopics()
    {
        AssertEncodes(new MetadataRequest { Topics = null }, 1, "ffffffff");
    }

    [Fact]
    public void MetadataRequestV12_CompactArrayUuidAndNullableCompactString()
    {
        // v12: compact array (2 = one element), TopicId as 16 raw bytes, Name as compact nullable string,
        // element tags, then AllowAutoTopicCreation, IncludeTopicAuthorizedOperations, message tags.
        var id = new Guid(Convert.FromHexString("000102030405060708090a0b0c0d0e0f"), bigEndian: true);
        var request = new MetadataRequest
        {
            Topics = [new MetadataRequest.MetadataRequestTopic { TopicId = id, Name = null }],
            AllowAutoTopicCreation = true,
            IncludeTopicAuthorizedOperations = false,
        };
        AssertEncodes(request, 12, "02 000102030405060708090a0b0c0d0e0f 00 00 01 00 00");
    }

    [Fact]
    public void RequestHeaderV2_KeepsClientIdAsAClassicString()
    {
        // ClientId has "flexibleVersions": "none": int16 length even in the flexible header v2.
        var header = new RequestHeader { RequestApiKey = 18, RequestApiVersion = 3, CorrelationId = 7, ClientId = "c" };
        AssertEncodes(header, 2, "0012 0003 00000007 0001 63 00");
    }

    [Fact]
    public void ResponseHeaderV1_HasATagSection()
    {
        AssertEncodes(new ResponseHeader { CorrelationId = 258 }, 1, "00000102 00");
        AssertEncodes(new ResponseHeader { CorrelationId = 258 }, 0, "00000102");
    }

    [Fact]
    public void ApiVersionsResponseV3_WritesNonDefaultTaggedFieldsOnly()
    {
        // FinalizedFeaturesEpoch is tag 1 (default -1): sent as tag 1, size 8, int64 5.
        // SupportedFeatures (tag 0), FinalizedFeatures (tag 2) are empty and ZkMigrationReady (tag 3) is false: not sent.
        var response = new ApiVersionsResponse
        {
            ErrorCode = 0,
            ApiKeys = [new ApiVersionsResponse.ApiVersion { ApiKey = 18, MinVersion = 0, MaxVersion = 3 }],
            ThrottleTimeMs = 0,
            FinalizedFeaturesEpoch = 5,
        };
        AssertEncodes(response, 3, "0000 02 0012 0000 0003 00 00000000 01 01 08 0000000000000005");
    }

    [Fact]
    public void ApiVersionsResponseV0_ClassicArrayNoThrottleTime()
    {
        var response = new ApiVersionsResponse
        {
            ErrorCode = 35,
            ApiKeys = [new ApiVersionsResponse.ApiVersion { ApiKey = 18, MinVersion = 0, MaxVersion = 3 }],
            ThrottleTimeMs = 100,
        };
        AssertEncodes(response, 0, "0023 00000001 0012 0000 0003");
    }

    [Fact]
    public void ProduceRequestV3_RecordsAreNullableBytes()
    {
        // TransactionalId null (int16 -1), acks -1, timeout 1000, one topic "t" with partition 0 and 3 record bytes.
        var request = new ProduceRequest
        {
            TransactionalId = null,
            Acks = -1,
            TimeoutMs = 1000,
            TopicData =
            [
                new ProduceRequest.TopicProduceData
                {
                    Name = "t",
                    PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = new byte[] { 1, 2, 3 } }],
                },
            ],
        };
        AssertEncodes(request, 3, "ffff ffff 000003e8 00000001 0001 74 00000001 00000000 00000003 010203");
    }

    [Fact]
    public void ReadingSkipsUnknownTaggedFields()
    {
        // ApiVersionsRequest v3 with an unknown tag 9 carrying 2 bytes, then the known fields' values.
        var bytes = Convert.FromHexString("04616263" + "04312e30" + "01" + "09" + "02" + "abcd");
        var request = KafkaMessageExtensions.Parse<ApiVersionsRequest>(bytes, 3);
        Assert.Equal("abc", request.ClientSoftwareName);
        Assert.Equal("1.0", request.ClientSoftwareVersion);
    }

    [Fact]
    public void TaggedNullableStructUsesAVarintPresenceMarker()
    {
        // As Kafka's generator does: a tagged nullable struct is tag, size (struct + 1), uvarint 1, struct.
        var value = new Broker.Protocol.Coordinator.ConsumerGroupMemberMetadataValue
        {
            InstanceId = null,
            RackId = null,
            ClientId = "c",
            ClientHost = "",
            SubscribedTopicRegex = null,
            ServerAssignor = null,
            ClassicMemberMetadata = new() { SessionTimeoutMs = 100 },
        };
        AssertEncodes(value, 0, "00 00 0263 01 01 00 ffffffff 00 01 00 07 01 00000064 01 00");
    }
}
