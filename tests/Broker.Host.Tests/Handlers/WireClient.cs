using Broker.Host.Tests.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Tests.Handlers;

/// <summary>Sends generated request messages over a real socket and decodes the typed responses.</summary>
internal sealed class WireClient : IDisposable
{
    private readonly TestClient _client;
    private int _correlationId;

    private WireClient(TestClient client) => _client = client;

    public static async Task<WireClient> ConnectAsync(int port) => new(await TestClient.ConnectAsync(port));

    public async Task<TResponse> SendAsync<TResponse>(IKafkaMessage request, short version)
        where TResponse : IKafkaMessage, new()
    {
        var key = ApiKeyOf(request);
        var flexible = ApiVersionTable.Get(key).IsFlexible(version);
        var id = ++_correlationId;
        await _client.SendAsync(TestClient.Frame((short)key, version, id, "admin-tests", request.ToArray(version), flexible));
        var response = await _client.ReadResponseAsync() ?? throw new InvalidOperationException($"broker closed the connection on {key} v{version}");
        Assert.Equal(id, response.CorrelationId);
        var reader = new KafkaReader(response.Payload);
        if (flexible)
        {
            // Response header v1: tagged fields (none are sent).
            Assert.Equal(0, reader.ReadInt8());
        }
        var message = new TResponse();
        message.Read(ref reader, version);
        Assert.True(reader.End, $"{typeof(TResponse).Name} v{version}: {reader.Remaining} bytes left over");
        return message;
    }

    /// <summary>True when the broker closes the connection instead of answering.</summary>
    public async Task<bool> SendExpectingCloseAsync(ApiKey key, short version, byte[] body)
    {
        var flexible = ApiVersionTable.Get(key).IsFlexible(version);
        await _client.SendAsync(TestClient.Frame((short)key, version, ++_correlationId, "admin-tests", body, flexible));
        return await _client.WaitClosedAsync(TimeSpan.FromSeconds(30));
    }

    private static ApiKey ApiKeyOf(IKafkaMessage request) =>
        (ApiKey)request.GetType().GetField("ApiKey")!.GetRawConstantValue()!;

    public void Dispose() => _client.Dispose();
}
