using Broker.Host.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Tests.Network;

public sealed class RequestHeadersTests
{
    [Fact]
    public void A_non_flexible_version_reads_header_v1_and_finds_the_body()
    {
        var frame = TestClient.Frame(ApiKey.Metadata, 1, 99, "abc", [9, 9]).AsMemory(4);
        var h = RequestHeaders.Parse(frame, out var bodyOffset);
        Assert.Equal((3, 1, 99, "abc"), (h.RequestApiKey, h.RequestApiVersion, h.CorrelationId, h.ClientId));
        Assert.Equal(13, bodyOffset);
    }

    [Fact]
    public void A_flexible_version_reads_header_v2_skipping_tagged_fields()
    {
        // Metadata v12, corr 5, null client id, one tagged field (tag 7, 2 bytes), then the body.
        byte[] header = [0, 3, 0, 12, 0, 0, 0, 5, 0xFF, 0xFF, 1, 7, 2, 0xAA, 0xBB, 0x42];
        var h = RequestHeaders.Parse(header, out var bodyOffset);
        Assert.Null(h.ClientId);
        Assert.Equal(5, h.CorrelationId);
        Assert.Equal(15, bodyOffset);
    }

    [Fact]
    public void A_future_ApiVersions_version_is_read_as_flexible()
    {
        var frame = TestClient.Frame(ApiKey.ApiVersions, 9, 1, "c", [7], flexible: true).AsMemory(4);
        RequestHeaders.Parse(frame, out var bodyOffset);
        Assert.Equal(frame.Length - 1, bodyOffset);
    }

    [Fact]
    public void ControlledShutdown_v0_has_no_client_id()
    {
        byte[] header = [0, 7, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1];
        var h = RequestHeaders.Parse(header, out var bodyOffset);
        Assert.Equal(9, h.CorrelationId);
        Assert.Equal(8, bodyOffset);
    }

    [Fact]
    public void A_client_id_longer_than_the_frame_is_malformed()
    {
        byte[] header = [0, 18, 0, 0, 0, 0, 0, 1, 0, 100, 1, 2];
        Assert.Throws<ProtocolException>(() => RequestHeaders.Parse(header, out _));
    }

    [Fact]
    public void A_truncated_tag_section_is_malformed()
    {
        byte[] header = [0, 18, 0, 3, 0, 0, 0, 1, 0xFF, 0xFF, 1, 7, 50];
        Assert.Throws<ProtocolException>(() => RequestHeaders.Parse(header, out _));
    }
}
