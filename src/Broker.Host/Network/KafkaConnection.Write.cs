using System.IO.Pipelines;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Network;

// The writer: responses leave in request order although handlers finish them in any order
// (clients pipeline, and a fetch parked in purgatory must not hold back nor overtake the rest).
internal sealed partial class KafkaConnection
{
    private async Task WriteLoopAsync()
    {
        var output = _transport.Transport.Output;
        var completions = _completions.Reader;
        // Requests in flight are at most MaxInFlight (the reader holds a permit for each) plus the
        // shutdown marker, so sequence modulo this length never collides.
        var pending = new RequestContext?[_settings.MaxInFlightRequestsPerConnection + 1];
        long next = 0;
        try
        {
            while (await completions.WaitToReadAsync().ConfigureAwait(false))
            {
                while (completions.TryRead(out var done))
                {
                    pending[done.Sequence % pending.Length] = done;
                }

                var released = 0;
                var wrote = false;
                while (pending[next % pending.Length] is { } request)
                {
                    pending[next % pending.Length] = null;
                    next++;
                    switch (request.Kind)
                    {
                        case CompletionKind.Response:
                            WriteResponse(output, request);
                            wrote = true;
                            break;
                        case CompletionKind.Close:
                            Release(request);
                            await output.FlushAsync().ConfigureAwait(false);
                            if (request.Frame.Length > 0)
                            {
                                LogClosedByHandler(Id, request.ApiKey, request.CorrelationId, request.CloseReason);
                            }
                            return;
                        default:
                            break; // no response: ordering just moves past it
                    }
                    Release(request);
                    released++;
                }

                if (released > 0)
                {
                    _inFlight.Release(released);
                }
                if (wrote)
                {
                    // One flush per batch of ready responses; it waits while the client is not reading.
                    var flush = await output.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        return;
                    }
                }
            }
        }
#pragma warning disable CA1031 // A failed write ends this connection only.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (ex is IOException or OperationCanceledException or Microsoft.AspNetCore.Connections.ConnectionResetException)
            {
                LogWriteFailed(ex, Id);
            }
            else
            {
                LogResponseBug(ex, Id);
            }
        }
        finally
        {
            _writerEnded = true;
            CancelClosed();
            _transport.Transport.Input.CancelPendingRead();
            foreach (var request in pending)
            {
                if (request is not null)
                {
                    Release(request);
                }
            }
        }
    }

    /// <summary>Size, correlation id, tagged fields if the header is flexible, then the body,
    /// serialized straight into the pipe's memory.</summary>
    private void WriteResponse(PipeWriter output, RequestContext request)
    {
        var version = request.ResponseVersion >= 0 ? request.ResponseVersion : request.ApiVersion;
        // Header v1 for flexible versions; ApiVersions always answers with v0 so that a client can
        // read it before it knows which versions the broker speaks.
        var flexibleHeader = ApiHeaders.ResponseHeaderVersion(request.ApiKey, version) >= 1;
        var message = request.ResponseMessage;
        var body = request.ResponseBody;
        var bodySize = message?.Size(version) ?? body!.Size(version);
        var headerSize = 4 + (flexibleHeader ? 1 : 0);
        var total = checked(headerSize + bodySize);
        var frameSize = checked(4 + total);
        var writer = new KafkaWriter(output.GetSpan(frameSize)[..frameSize]);
        writer.WriteInt32(total);
        writer.WriteInt32(request.CorrelationId);
        if (flexibleHeader)
        {
            writer.WriteEmptyTaggedFields();
        }
        if (message is not null)
        {
            message.Write(ref writer, version);
        }
        else
        {
            body!.Write(ref writer, version);
        }
        if (writer.Position != frameSize)
        {
            throw new InvalidOperationException(
                $"{((object?)message ?? body)!.GetType().Name} wrote {writer.Position - 4 - headerSize} bytes but sized itself at {bodySize} (api {request.ApiKey} v{version})");
        }
        output.Advance(frameSize);
        _metrics.AddBytesOut(frameSize);
        _metrics.ResponseSent();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId}: writing a response failed; closing")]
    private partial void LogWriteFailed(Exception ex, long connectionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection {ConnectionId}: a response could not be serialized; closing")]
    private partial void LogResponseBug(Exception ex, long connectionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {ConnectionId} closed by the handler of api {ApiKey} (correlation id {CorrelationId}): {Reason}")]
    private partial void LogClosedByHandler(long connectionId, Broker.Protocol.Messages.ApiKey apiKey, int correlationId, string? reason);
}
