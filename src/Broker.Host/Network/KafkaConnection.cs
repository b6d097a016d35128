using System.Buffers;
using System.Net;
using System.Threading.Channels;
using Broker.Protocol.Messages;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Network;

/// <summary>
/// One Kafka client connection: a reader loop that cuts the socket's byte stream into frames and
/// queues them as requests (<c>KafkaConnection.Read.cs</c>), and a writer loop that puts the
/// responses back in request order (<c>KafkaConnection.Write.cs</c>). The two loops and the shared
/// request queue are the backpressured stages: a slow handler fills the queue, a full queue stops
/// the reader, a stopped reader stops the socket.
/// </summary>
internal sealed partial class KafkaConnection
{
    private readonly ConnectionContext _transport;
    private readonly NetworkSettings _settings;
    private readonly RequestChannel _requests;
    private readonly ApiVersionTable _apis;
    private readonly NetworkMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closed = new();
    private readonly DispatchSignal _dispatched = new();
    // Bounds the requests read but not yet answered; the writer gives the permits back.
    private readonly SemaphoreSlim _inFlight;
    // Completed requests, in completion order; the writer reorders them by sequence number.
    private readonly Channel<RequestContext> _completions;
    private long _nextSequence;
    private volatile bool _shutdownRequested;
    private volatile bool _writerEnded;

    public KafkaConnection(long id, ConnectionContext transport, NetworkSettings settings, RequestChannel requests,
        ApiVersionTable apis, NetworkMetrics metrics, ILogger logger)
    {
        Id = id;
        _transport = transport;
        _settings = settings;
        _requests = requests;
        _apis = apis;
        _metrics = metrics;
        _logger = logger;
        _inFlight = new SemaphoreSlim(settings.MaxInFlightRequestsPerConnection, settings.MaxInFlightRequestsPerConnection);
        _completions = Channel.CreateUnbounded<RequestContext>(new UnboundedChannelOptions
        {
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public long Id { get; }

    public EndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    /// <summary>Cancelled when the connection is torn down.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Runs the connection until the client leaves, a protocol error, or a graceful shutdown
    /// (<paramref name="shutdown"/>, or Kestrel asking the connection to close).</summary>
    public async Task RunAsync(CancellationToken shutdown)
    {
        _metrics.ConnectionOpened();
        LogConnected(Id, RemoteEndPoint);
        using var onShutdown = shutdown.Register(RequestShutdown);
        using var onKestrelClose = _transport.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested.Register(RequestShutdown);
        using var onTransportClosed = _transport.ConnectionClosed.Register(CancelClosed);

        var writer = WriteLoopAsync();
        var end = ReadEnd.ConnectionError;
        try
        {
            end = await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
            end = _writerEnded ? ReadEnd.ClosedByHandler : ReadEnd.ClientClosed;
        }
#pragma warning disable CA1031 // Any transport failure ends this connection only.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogReadFailed(ex, Id);
        }

        if (end == ReadEnd.Shutdown && !_writerEnded)
        {
            await DrainAsync(writer).ConfigureAwait(false);
        }
        await TearDownAsync(writer).ConfigureAwait(false);
        LogDisconnected(Id, end);
    }

    /// <summary>Graceful end: the responses to every request already read go out first.</summary>
    private async Task DrainAsync(Task writer)
    {
        // A close marker after the last request: the writer reaches it once everything before it is written.
        var marker = new RequestContext(this, _nextSequence++, new RequestHeader(), [], 0, 0);
        marker.TryClose("shutdown");
        try
        {
            await writer.WaitAsync(_settings.ShutdownTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogDrainTimedOut(Id, _settings.ShutdownTimeout);
        }
    }

    private async Task TearDownAsync(Task writer)
    {
        CancelClosed();
        _completions.Writer.TryComplete();
        if (!writer.IsCompleted)
        {
            // Unblocks a writer stuck flushing to a client that does not read.
            _transport.Abort(new ConnectionAbortedException("connection closed by the broker"));
        }
        try
        {
            await writer.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The connection is going away; the writer's failure was logged or is moot.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        // Requests completed after the writer stopped: give their frames back.
        while (_completions.Reader.TryRead(out var late))
        {
            Release(late);
        }
        _metrics.ConnectionClosed();
    }

    private void RequestShutdown()
    {
        _shutdownRequested = true;
        _transport.Transport.Input.CancelPendingRead();
    }

    private void CancelClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Called by <see cref="RequestContext"/> on any thread when a request is finished.</summary>
    internal void OnRequestCompleted(RequestContext request)
    {
        if (!_completions.Writer.TryWrite(request))
        {
            // The connection is gone: nobody will write this response.
            Release(request);
        }
    }

    internal void OnRequestDispatched() => _dispatched.Set();

    /// <summary>Gives back what a finished request held: its pooled frame, and its response body
    /// if that owns resources (pooled read buffers of a fetch).</summary>
    private void Release(RequestContext request)
    {
        if (request.Frame.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(request.Frame);
        }
        if (request.ResponseBody is IDisposable disposable)
        {
            try
            {
                disposable.Dispose();
            }
#pragma warning disable CA1031 // A faulty body must not take the connection's teardown with it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogDisposeFailed(ex, Id);
            }
        }
    }

    private enum ReadEnd
    {
        ClientClosed,
        Shutdown,
        ProtocolError,
        ConnectionError,
        ClosedByHandler,
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {RemoteEndPoint} accepted")]
    private partial void LogConnected(long connectionId, EndPoint? remoteEndPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} closed ({Reason})")]
    private partial void LogDisconnected(long connectionId, ReadEnd reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId}: read failed")]
    private partial void LogReadFailed(Exception ex, long connectionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection {ConnectionId}: disposing a response body failed")]
    private partial void LogDisposeFailed(Exception ex, long connectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId}: responses still pending after {Timeout} of shutdown; closing")]
    private partial void LogDrainTimedOut(long connectionId, TimeSpan timeout);
}
