using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Network;

/// <summary>
/// Kafka's RequestChannel: the bounded queue between the connection readers and the
/// <c>num.io.threads</c> I/O loops. Its capacity is <c>queued.max.requests</c>; when it is full the
/// readers wait on <see cref="EnqueueAsync"/>, stop reading their sockets, and TCP pushes back on
/// the clients, so a flood costs waiting, not memory. The loops are async and hold no thread while
/// the queue is empty.
/// </summary>
public sealed partial class RequestChannel : IAsyncDisposable
{
    private readonly Channel<RequestContext> _queue;
    private readonly IRequestDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly Task[] _loops;

    public RequestChannel(NetworkSettings settings, IRequestDispatcher dispatcher, NetworkMetrics metrics, ILogger<RequestChannel> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(metrics);
        _dispatcher = dispatcher ?? throw new ArgumentNullException(nameof(dispatcher));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _queue = Channel.CreateBounded<RequestContext>(new BoundedChannelOptions(settings.QueuedMaxRequests)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        metrics.AttachQueueDepth(() => _queue.Reader.Count);
        _loops = new Task[settings.NumIoThreads];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = Task.Run(RunIoLoopAsync);
        }
    }

    public int Depth => _queue.Reader.Count;

    /// <summary>Waits for room in the queue (this is where a flood of requests slows its readers).</summary>
    internal ValueTask EnqueueAsync(RequestContext request, CancellationToken cancellationToken) =>
        _queue.Writer.WriteAsync(request, cancellationToken);

    private async Task RunIoLoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var request))
            {
                await DispatchAsync(request).ConfigureAwait(false);
            }
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DispatchAsync(RequestContext request)
    {
        try
        {
            // A request of a connection that is already gone is not worth serving.
            if (!request.ConnectionClosed.IsCancellationRequested)
            {
                await _dispatcher.HandleAsync(request).ConfigureAwait(false);
            }
            else
            {
                request.TryClose("connection closed before dispatch");
            }
        }
#pragma warning disable CA1031 // A failing handler must not kill the I/O loop; the connection is closed instead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogDispatchFailed(ex, request.ConnectionId, request.ApiKey, request.ApiVersion, request.CorrelationId);
            request.TryClose("handler failed");
        }
        finally
        {
            request.OnDispatched();
        }
    }

    /// <summary>Stops taking new requests, lets the loops finish what is queued, and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler failed on connection {ConnectionId}, api {ApiKey} v{ApiVersion}, correlation id {CorrelationId}; closing the connection")]
    private partial void LogDispatchFailed(Exception ex, long connectionId, Broker.Protocol.Messages.ApiKey apiKey, short apiVersion, int correlationId);
}
