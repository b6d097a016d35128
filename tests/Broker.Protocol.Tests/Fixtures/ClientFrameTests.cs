using Broker.Protocol.Messages;

namespace Broker.Protocol.Tests.Fixtures;

/// <summary>Every frame real clients sent decodes with the generated types, byte for byte.</summary>
public sealed class ClientFrameTests
{
    public static TheoryData<string, string> Frames()
    {
        var data = new TheoryData<string, string>();
        foreach (var (client, file) in ClientFrame.All())
        {
            data.Add(client, file);
        }
        return data;
    }

    [Fact]
    public void Every_client_has_ApiVersions_Metadata_and_Produce_frames()
    {
        foreach (var client in ClientFrame.Clients)
        {
            var files = ClientFrame.All().Where(f => f.Client == client).Select(f => f.File).ToList();
            Assert.Contains(files, f => f.StartsWith("apiversions-", StringComparison.Ordinal));
            Assert.Contains(files, f => f.StartsWith("metadata-", StringComparison.Ordinal));
            Assert.Contains(files, f => f.StartsWith("produce-", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Header_decodes_to_what_the_client_sent(string client, string file)
    {
        var frame = ClientFrame.Load(client, file);

        var (header, _, _) = frame.DecodeAny();

        Assert.Equal((short)frame.Capture.GetProperty("api_key").GetInt32(), header.RequestApiKey);
        Assert.Equal((short)frame.Capture.GetProperty("version").GetInt32(), header.RequestApiVersion);
        Assert.Equal(frame.Capture.GetProperty("correlation_id").GetInt32(), header.CorrelationId);
        Assert.Equal(frame.Capture.GetProperty("client_id").GetString(), header.ClientId);
        // The file name carries the api and version too: the frame is where it claims to be.
        Assert.StartsWith($"{frame.ApiKey.ToString().ToLowerInvariant()}-v{header.RequestApiVersion}", file);
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Body_decodes_to_the_last_byte(string client, string file)
    {
        var frame = ClientFrame.Load(client, file);

        var (_, _, unread) = frame.DecodeAny();

        Assert.Equal(0, unread);
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Reencoding_gives_the_clients_exact_bytes(string client, string file)
    {
        var frame = ClientFrame.Load(client, file);
        var (header, body, _) = frame.DecodeAny();

        var encoded = header.ToArray(frame.HeaderVersion).Concat(body.ToArray(header.RequestApiVersion)).ToArray();

        Assert.Equal(frame.Bytes, encoded);
    }
}
