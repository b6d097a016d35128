using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Tests.Messages;

/// <summary>
/// Every generated message, header and record in every valid version: random content is written,
/// Size must match the bytes written, reading back must give the same fields, and writing the
/// result again must give the same bytes.
/// </summary>
public sealed class RoundTripTests
{
    private const int SamplesPerVersion = 4;

    public static IEnumerable<object[]> AllTypes() => MessageCatalog.AllTypeNames();

    [Fact]
    public void CatalogFindsEveryKindOfGeneratedType()
    {
        var names = MessageCatalog.TopLevel.Select(t => t.Name).ToHashSet();
        Assert.Contains("ProduceRequest", names);
        Assert.Contains("FetchResponse", names);
        Assert.Contains("RequestHeader", names);
        Assert.Contains("ResponseHeader", names);
        Assert.Contains("PartitionRecord", names);
        Assert.Contains("OffsetCommitValue", names);
        Assert.True(MessageCatalog.TopLevel.Count >= 240, $"only {MessageCatalog.TopLevel.Count} generated types found");
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void EveryVersionRoundTrips(string typeName)
    {
        var type = MessageCatalog.Find(typeName);
        var (lowest, highest) = MessageCatalog.Versions(type);
        var random = new RandomMessages(MessageCatalog.StableSeed(typeName));
        for (var version = lowest; version <= highest; version++)
        {
            for (var sample = 0; sample < SamplesPerVersion; sample++)
            {
                var original = (IKafkaMessage)random.Create(type, version);
                AssertRoundTrip(original, version, $"{type.Name} v{version} sample {sample}");
            }
        }
    }

    internal static byte[] AssertRoundTrip(IKafkaMessage original, short version, string what)
    {
        var size = original.Size(version);
        var first = new byte[size + 8];
        var writer = new KafkaWriter(first);
        original.Write(ref writer, version);
        Assert.True(writer.Position == size, $"{what}: Size said {size}, Write wrote {writer.Position}");
        var bytes = first.AsMemory(0, size);

        var copy = (IKafkaMessage)Activator.CreateInstance(original.GetType())!;
        var reader = new KafkaReader(bytes);
        copy.Read(ref reader, version);
        Assert.True(reader.End, $"{what}: read stopped at {reader.Position} of {size}");

        var diff = MessageComparer.Difference(original, copy, version);
        Assert.True(diff is null, $"{what}: {diff}");

        var second = copy.ToArray(version);
        Assert.True(bytes.Span.SequenceEqual(second), $"{what}: re-encoding differs");
        return second;
    }
}
