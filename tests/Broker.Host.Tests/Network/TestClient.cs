using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Broker.Host.Tests.Network;

/// <summary>A bare Kafka-framing client over a real socket, for driving the listener byte by byte.</summary>
internal sealed class TestClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _header = new byte[4];

    private TestClient(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    public static async Task<TestClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new TestClient(socket);
    }

    public static byte[] Frame(Broker.Protocol.Messages.ApiKey apiKey, short apiVersion, int correlationId, string? clientId, ReadOnlySpan<byte> body, bool flexible = false) =>
        Frame((short)apiKey, apiVersion, correlationId, clientId, body, flexible);

    /// <summary>A request frame: size, header (v1, or v2 when flexible), body.</summary>
    public static byte[] Frame(short apiKey, short apiVersion, int correlationId, string? clientId, ReadOnlySpan<byte> body, bool flexible = false)
    {
        var id = clientId is null ? null : Encoding.UTF8.GetBytes(clientId);
        var headerLength = 2 + 2 + 4 + 2 + (id?.Length ?? 0) + (flexible ? 1 : 0);
        var frame = new byte[4 + headerLength + body.Length];
        var s = frame.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(s, headerLength + body.Length);
        BinaryPrimitives.WriteInt16BigEndian(s[4..], apiKey);
        BinaryPrimitives.WriteInt16BigEndian(s[6..], apiVersion);
        BinaryPrimitives.WriteInt32BigEndian(s[8..], correlationId);
        BinaryPrimitives.WriteInt16BigEndian(s[12..], (short)(id?.Length ?? -1));
        var p = 14;
        if (id is not null)
        {
            id.CopyTo(s[p..]);
            p += id.Length;
        }
        if (flexible)
        {
            s[p++] = 0;
        }
        body.CopyTo(s[p..]);
        return frame;
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var n = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[n..];
        }
    }

    /// <summary>Reads one response frame: its correlation id and the rest (header tags, if any, and body).
    /// Null when the broker closed the connection.</summary>
    public async Task<(int CorrelationId, byte[] Payload)?> ReadResponseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        if (!await ReadExactlyAsync(_header, cts.Token))
        {
            return null;
        }
        var size = BinaryPrimitives.ReadInt32BigEndian(_header);
        Assert.InRange(size, 4, 64 * 1024 * 1024);
        var payload = new byte[size];
        if (!await ReadExactlyAsync(payload, cts.Token))
        {
            return null;
        }
        return (BinaryPrimitives.ReadInt32BigEndian(payload), payload[4..]);
    }

    /// <summary>True once the broker has closed the connection (EOF or reset), false on timeout.
    /// Any response bytes still arriving are skipped.</summary>
    public async Task<bool> WaitClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var sink = new byte[4096];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(sink, SocketFlags.None, cts.Token);
                if (n == 0)
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
