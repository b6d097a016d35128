using Broker.Host.Network;
using Broker.Protocol.Primitives;

namespace Broker.Host.Tests.Network;

public sealed class RequestHeaderParserTests
{
    private static ReadOnlyMemory<byte> Header(byte[] frame) => frame.AsMemory(4);

    [Fact]
    public void Parses_v1_header_and_finds_the_body()
    {
        var frame = TestClient.Frame(3, 1, 99, "abc", [9, 9], flexible: false);
        var h = RequestHeaderParser.Parse(Header(frame), flexible: false, new ClientIdCache());
        Assert.Equal(new RequestHeader(3, 1, 99, "abc", false, 13), h);
    }

    [Fact]
    public void Parses_v2_header_skipping_tagged_fields()
    {
        // api 3 v12, corr 5, null client id, one tagged field (tag 7, 2 bytes), then body.
        byte[] header = [0, 3, 0, 12, 0, 0, 0, 5, 0xFF, 0xFF, 1, 7, 2, 0xAA, 0xBB, 0x42];
        var h = RequestHeaderParser.Parse(header, flexible: true, new ClientIdCache());
        Assert.Equal(new RequestHeader(3, 12, 5, null, true, 15), h);
    }

    [Fact]
    public void A_client_id_longer_than_the_frame_is_malformed()
    {
        byte[] header = [0, 18, 0, 0, 0, 0, 0, 1, 0, 100, 1, 2];
        Assert.Throws<ProtocolException>(() => RequestHeaderParser.Parse(header, flexible: false, new ClientIdCache()));
    }

    [Fact]
    public void A_truncated_tag_section_is_malformed()
    {
        byte[] header = [0, 18, 0, 3, 0, 0, 0, 1, 0xFF, 0xFF, 1, 7, 50];
        Assert.Throws<ProtocolException>(() => RequestHeaderParser.Parse(header, flexible: true, new ClientIdCache()));
    }

    [Fact]
    public void The_same_client_id_reuses_the_string()
    {
        var cache = new ClientIdCache();
        var a = RequestHeaderParser.Parse(Header(TestClient.Frame(3, 1, 1, "rdkafka", [])), false, cache);
        var b = RequestHeaderParser.Parse(Header(TestClient.Frame(3, 1, 2, "rdkafka", [])), false, cache);
        var c = RequestHeaderParser.Parse(Header(TestClient.Frame(3, 1, 3, "other", [])), false, cache);
        Assert.Same(a.ClientId, b.ClientId);
        Assert.Equal("other", c.ClientId);
    }
}
