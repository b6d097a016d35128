using System.Buffers;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Protocol.Tests.Messages;

public sealed class DefaultsAndWriteToTests
{
    [Fact]
    public void PropertiesStartAtTheSpecDefaults()
    {
        Assert.Equal(int.MaxValue, new FetchRequest().MaxBytes); // "0x7fffffff"
        Assert.Equal(int.MinValue, new MetadataResponse().ClusterAuthorizedOperations); // "-2147483648"
        Assert.True(new MetadataRequest().AllowAutoTopicCreation); // "true"
        Assert.True(new BrokerHeartbeatResponse().IsFenced);
        Assert.Null(new ProduceRequest().TransactionalId); // "null"
        Assert.Equal(-1L, new ApiVersionsResponse().FinalizedFeaturesEpoch);
        Assert.Null(new PartitionChangeRecord().Isr); // tagged, default null
        Assert.Equal(string.Empty, new ProduceRequest.TopicProduceData().Name);
        Assert.Empty(new ProduceRequest().TopicData);
        Assert.Null(new ProduceRequest.PartitionProduceData().Records);
    }

    [Fact]
    public void TaggedFieldsAtTheirDefaultsAreNotSent()
    {
        // PartitionChangeRecord v0: PartitionId, TopicId, then tags. With every tagged field at its default
        // the tag section is one zero byte.
        var record = new PartitionChangeRecord { PartitionId = 1, TopicId = Guid.Empty };
        Assert.Equal(4 + 16 + 1, record.Size(0));
        record.Isr = [1, 2];
        // tag 0 (Isr): tag, size, compact array (count 3, two int32s) = 1 + 1 + 9 bytes more.
        Assert.Equal(4 + 16 + 1 + 1 + 1 + 9, record.Size(0));
    }

    [Fact]
    public void WriteToFillsTheBufferWriterWithExactlySizeBytes()
    {
        var request = new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "orders" }] };
        var output = new ArrayBufferWriter<byte>(1);
        output.Write(new byte[] { 0xAA });
        var written = request.WriteTo(output, 12);
        Assert.Equal(request.Size(12), written);
        Assert.Equal(1 + written, output.WrittenCount);
        Assert.Equal(request.ToArray(12), output.WrittenSpan[1..].ToArray());
    }
}
