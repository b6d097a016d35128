using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Broker.Protocol.Messages;

namespace Broker.Compat.Tests.Harness;

/// <summary>
/// A bare Kafka connection built from the generated message types, for exact error-code assertions
/// and for sending bytes no real client would send.
/// </summary>
public sealed class RawKafkaClient : IDisposable
{
    private readonly Socket _socket;
    private int _correlation;

    private RawKafkaClient(Socket socket) => _socket = socket;

    public static async Task<RawKafkaClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawKafkaClient(socket);
    }

    /// <summary>Sends one request and parses its response (the broker answers in request order).</summary>
    public async Task<TResponse> SendAsync<TResponse>(ApiKey api, short version, IKafkaMessage request, TimeSpan? timeout = null)
        where TResponse : IKafkaMessage, new()
    {
        var correlation = ++_correlation;
        var header = new RequestHeader { RequestApiKey = (short)api, RequestApiVersion = version, CorrelationId = correlation, ClientId = "raw" };
        var headerBytes = header.ToArray(ApiHeaders.RequestHeaderVersion(api, version));
        var body = request.ToArray(version);
        var frame = new byte[4 + headerBytes.Length + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, headerBytes.Length + body.Length);
        headerBytes.CopyTo(frame, 4);
        body.CopyTo(frame, 4 + headerBytes.Length);
        await SendRawAsync(frame);

        var payload = await ReadFrameAsync(timeout ?? TimeSpan.FromSeconds(30))
            ?? throw new IOException($"{api} v{version}: the broker closed the connection");
        var reader = new Broker.Protocol.Primitives.KafkaReader(payload);
        var responseHeader = new ResponseHeader();
        responseHeader.Read(ref reader, ApiHeaders.ResponseHeaderVersion(api, version));
        Assert.Equal(correlation, responseHeader.CorrelationId);
        var response = new TResponse();
        response.Read(ref reader, version);
        return response;
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var n = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[n..];
        }
    }

    /// <summary>One response frame's payload (header and body), or null once the broker closed the connection.</summary>
    public async Task<byte[]?> ReadFrameAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var size = new byte[4];
        if (!await ReadExactlyAsync(size, cts.Token))
        {
            return null;
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(size);
        Assert.InRange(length, 4, 256 * 1024 * 1024);
        var payload = new byte[length];
        return await ReadExactlyAsync(payload, cts.Token) ? payload : null;
    }

    /// <summary>True once the broker has closed the connection, false if it is still open at the timeout.</summary>
    public async Task<bool> WaitClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var sink = new byte[4096];
        try
        {
            while (true)
            {
                if (await _socket.ReceiveAsync(sink, SocketFlags.None, cts.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> ReadExactlyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        try
        {
            while (read < buffer.Length)
            {
                var n = await _socket.ReceiveAsync(buffer[read..], SocketFlags.None, ct);
                if (n == 0)
                {
                    return false;
                }
                read += n;
            }
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}
