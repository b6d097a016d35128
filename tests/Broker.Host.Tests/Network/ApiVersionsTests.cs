using Broker.Host.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;
using ApiVersionTable = Broker.Host.Network.ApiVersionTable;

namespace Broker.Host.Tests.Network;

public sealed class ApiVersionsTests
{
    private static NetworkSettings Local => new() { Host = "127.0.0.1", Port = 0 };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Every_version_is_answered_with_the_table(short version)
    {
        await using var server = await BrokerServer.StartAsync(Local);
        using var client = await TestClient.ConnectAsync(server.Port);
        var flexible = version >= 3;
        // v3+ bodies carry the client software name and version (compact strings) and tags.
        byte[] body = flexible ? [5, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 4, (byte)'1', (byte)'.', (byte)'0', 0] : [];
        await client.SendAsync(TestClient.Frame(ApiKey.ApiVersions, version, 42, "client-1", body, flexible));

        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(42, response.Value.CorrelationId);
        // ApiVersions responses always use header v0: the body starts right after the correlation id.
        var (error, keys, throttle) = Decode(response.Value.Payload, version);
        Assert.Equal(0, error);
        Assert.Equal(ApiVersionTable.Default.Ranges.Select(r => (r.ApiKey, r.MinVersion, r.MaxVersion)), keys);
        Assert.Equal(version >= 1 ? 0 : -1, throttle);
        Assert.Equal(1, server.Metrics.Requests(ApiKey.ApiVersions));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(300)]
    public async Task An_unsupported_version_gets_a_v0_UNSUPPORTED_VERSION_answer_and_the_connection_stays(short version)
    {
        await using var server = await BrokerServer.StartAsync(Local);
        using var client = await TestClient.ConnectAsync(server.Port);
        // A future version is flexible: header v2 with a tag section, and a body we cannot know.
        await client.SendAsync(TestClient.Frame(ApiKey.ApiVersions, version, 7, "future-client", [1, 2, 3], flexible: true));

        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(7, response.Value.CorrelationId);
        var (error, keys, _) = Decode(response.Value.Payload, 0);
        Assert.Equal((short)ErrorCode.UnsupportedVersion, error);
        Assert.Equal([((short)ApiKey.ApiVersions, (short)0, (short)4)], keys);

        // The client retries at a version it now knows is supported, on the same connection.
        await client.SendAsync(TestClient.Frame(ApiKey.ApiVersions, 3, 8, "future-client", [1, 0, 1, 0, 0], flexible: true));
        var retry = await client.ReadResponseAsync();
        Assert.NotNull(retry);
        Assert.Equal(8, retry.Value.CorrelationId);
        Assert.Equal(0, Decode(retry.Value.Payload, 3).Error);
    }

    internal static (short Error, List<(short, short, short)> Keys, int Throttle) Decode(byte[] body, short version)
    {
        var reader = new KafkaReader(body);
        var error = reader.ReadInt16();
        var flexible = version >= 3;
        var count = flexible ? reader.ReadCompactArrayCount() : reader.ReadArrayCount();
        var keys = new List<(short, short, short)>();
        for (var i = 0; i < count; i++)
        {
            keys.Add((reader.ReadInt16(), reader.ReadInt16(), reader.ReadInt16()));
            if (flexible)
            {
                reader.SkipTaggedFields();
            }
        }
        var throttle = version >= 1 ? reader.ReadInt32() : -1;
        if (flexible)
        {
            reader.SkipTaggedFields();
        }
        Assert.True(reader.End, "trailing bytes after the ApiVersions body");
        return (error, keys, throttle);
    }

}
