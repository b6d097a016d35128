using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Network.Client;

/// <summary>
/// One outbound Kafka-protocol connection to another node (Kafka's NetworkClient channel): requests
/// are pipelined, each answered by correlation id. Used for broker-to-controller, controller-to-
/// controller (Raft) and replica fetch traffic, and by tests as a raw client. A broken connection
/// fails every outstanding request with <see cref="NodeConnectionException"/>; it is not reused.
/// </summary>
public sealed class NodeConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly string _clientId;
    private readonly int _maxResponseBytes;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<byte[]>> _pending = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _readLoop;
    private int _nextCorrelationId;
    private Exception? _failure;

    private NodeConnection(Socket socket, string clientId, int maxResponseBytes)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _clientId = clientId;
        _maxResponseBytes = maxResponseBytes;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public string Host { get; private init; } = "";
    public int Port { get; private init; }

    /// <summary>False once the connection broke or was disposed.</summary>
    public bool IsOpen => _failure is null && !_closed.IsCancellationRequested;

    public static async Task<NodeConnection> ConnectAsync(string host, int port, string clientId = "akkabroker",
        int maxResponseBytes = 128 * 1024 * 1024, TimeSpan? connectTimeout = null, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout ?? TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw new NodeConnectionException($"cannot connect to {host}:{port}: {ex.Message}", ex);
        }
        return new NodeConnection(socket, clientId, maxResponseBytes) { Host = host, Port = port };
    }

    /// <summary>Sends <paramref name="request"/> at <paramref name="version"/> and decodes the answer.
    /// Byte fields of the response (records) are slices of a buffer owned by the response.</summary>
    public async Task<TResponse> SendAsync<TResponse>(IKafkaMessage request, short version, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TResponse : IKafkaMessage, new()
    {
        var apiKey = ApiKeys.Of(request);
        var payload = await SendRawAsync(apiKey, version, request, timeout, cancellationToken).ConfigureAwait(false);
        var reader = new KafkaReader(payload.AsMemory(4)); // past the correlation id
        if (ApiHeaders.ResponseHeaderVersion(apiKey, version) >= 1)
        {
            reader.SkipTaggedFields();
        }
        var response = new TResponse();
        response.Read(ref reader, version);
        return response;
    }

    private async Task<byte[]> SendRawAsync(ApiKey apiKey, short version, IKafkaMessage request, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ThrowIfBroken();
        var correlationId = Interlocked.Increment(ref _nextCorrelationId);
        var frame = Frame(apiKey, version, correlationId, request);
        var completion = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[correlationId] = completion;
        try
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ThrowIfBroken();
                await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Fail(ex);
        }
        catch
        {
            _pending.TryRemove(correlationId, out _);
            throw;
        }
        try
        {
            return await completion.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(correlationId, out _);
            throw new NodeConnectionException($"{apiKey} v{version} to {Host}:{Port} timed out");
        }
        finally
        {
            _pending.TryRemove(correlationId, out _);
        }
    }

    private byte[] Frame(ApiKey apiKey, short version, int correlationId, IKafkaMessage request)
    {
        var header = new RequestHeader { RequestApiKey = (short)apiKey, RequestApiVersion = version, CorrelationId = correlationId, ClientId = _clientId };
        var headerVersion = ApiHeaders.RequestHeaderVersion(apiKey, version);
        var headerSize = header.Size(headerVersion);
        var bodySize = request.Size(version);
        var frame = new byte[4 + headerSize + bodySize];
        BinaryPrimitives.WriteInt32BigEndian(frame, headerSize + bodySize);
        var writer = new KafkaWriter(frame.AsSpan(4));
        header.Write(ref writer, headerVersion);
        request.Write(ref writer, version);
        return frame;
    }

    private async Task ReadLoopAsync()
    {
        var sizeBuffer = new byte[4];
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                await _stream.ReadExactlyAsync(sizeBuffer, _closed.Token).ConfigureAwait(false);
                var size = BinaryPrimitives.ReadInt32BigEndian(sizeBuffer);
                if (size < 4 || size > _maxResponseBytes)
                {
                    throw new NodeConnectionException($"response of {size} bytes from {Host}:{Port} is out of range (4..{_maxResponseBytes})");
                }
                var payload = new byte[size];
                await _stream.ReadExactlyAsync(payload, _closed.Token).ConfigureAwait(false);
                var correlationId = BinaryPrimitives.ReadInt32BigEndian(payload);
                if (_pending.TryRemove(correlationId, out var completion))
                {
                    completion.TrySetResult(payload);
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private void Fail(Exception reason)
    {
        _failure ??= reason as NodeConnectionException ?? new NodeConnectionException($"connection to {Host}:{Port} broke: {reason.Message}", reason);
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var completion))
            {
                completion.TrySetException(_failure);
            }
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // already gone
        }
    }

    private void ThrowIfBroken()
    {
        if (_failure is not null)
        {
            throw _failure as NodeConnectionException ?? new NodeConnectionException(_failure.Message, _failure);
        }
        ObjectDisposedException.ThrowIf(_closed.IsCancellationRequested, this);
    }

    public async ValueTask DisposeAsync()
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }
        _closed.Cancel();
        Fail(new ObjectDisposedException(nameof(NodeConnection)));
        await _stream.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // closing
        }
        _closed.Dispose();
        _writeLock.Dispose();
    }
}

/// <summary>A request to another node could not be completed (connect, I/O, timeout).</summary>
public sealed class NodeConnectionException : Exception
{
    public NodeConnectionException(string message) : base(message) { }
    public NodeConnectionException(string message, Exception inner) : base(message, inner) { }
}
