using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Network;

// The reader: one frame at a time. A frame is copied out of the pipe only once it has fully
// arrived, so the pipe (and behind it TCP) holds whatever the broker is not ready for yet.
internal sealed partial class KafkaConnection
{
    /// <summary>
    /// A frame that has not fully arrived once this many bytes of it are buffered is assembled
    /// incrementally instead, because the transport pipe stops reading the socket at its own limit
    /// (1 MiB) and would never deliver the rest. Memory still grows only with bytes received.
    /// </summary>
    internal const int LargeFrameThreshold = 256 * 1024;

    private async Task<ReadEnd> ReadLoopAsync()
    {
        var input = _transport.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            if (result.IsCanceled || _shutdownRequested || _writerEnded)
            {
                input.AdvanceTo(result.Buffer.Start);
                return _writerEnded ? ReadEnd.ClosedByHandler : ReadEnd.Shutdown;
            }
            var buffer = result.Buffer;
            if (buffer.Length < 4)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return ReadEnd.ClientClosed;
                }
                continue;
            }

            var size = ReadSize(buffer);
            if (size < RequestHeaders.MinimumLength || size > _settings.SocketRequestMaxBytes)
            {
                // Checked before anything is allocated for the frame: a lying size costs nothing.
                input.AdvanceTo(buffer.Start);
                LogBadFrameSize(Id, RemoteEndPoint, size, _settings.SocketRequestMaxBytes);
                _metrics.ConnectionClosedForError();
                return ReadEnd.ProtocolError;
            }

            byte[]? frame;
            var available = buffer.Length - 4;
            if (available >= size)
            {
                frame = ArrayPool<byte>.Shared.Rent(size);
                buffer.Slice(4, size).CopyTo(frame);
                input.AdvanceTo(buffer.GetPosition(4 + size));
            }
            else if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return ReadEnd.ClientClosed;
            }
            else if (available < LargeFrameThreshold)
            {
                // Not all there yet: look at everything, consume nothing, wait for more.
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            else
            {
                frame = await ReadLargeFrameAsync(input, buffer, size).ConfigureAwait(false);
                if (frame is null)
                {
                    return _shutdownRequested ? ReadEnd.Shutdown : ReadEnd.ClientClosed;
                }
            }

            _metrics.AddBytesIn(4L + size);
            var end = await OnFrameAsync(frame, size).ConfigureAwait(false);
            if (end is { } e)
            {
                return e;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadSize(in ReadOnlySequence<byte> buffer)
    {
        var first = buffer.FirstSpan;
        if (first.Length >= 4)
        {
            return BinaryPrimitives.ReadInt32BigEndian(first);
        }
        return ReadSizeSlow(buffer);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadSizeSlow(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> four = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(four);
        return BinaryPrimitives.ReadInt32BigEndian(four);
    }

    /// <summary>
    /// Assembles a frame bigger than the pipe lets accumulate: the pooled buffer doubles as bytes
    /// arrive (never beyond <paramref name="size"/>), so a client that announces 100 MiB and sends
    /// 300 KiB pins about 600 KiB. Returns null if the client leaves or the broker shuts down first.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async ValueTask<byte[]?> ReadLargeFrameAsync(PipeReader input, ReadOnlySequence<byte> buffer, int size)
    {
        var received = (int)(buffer.Length - 4);
        var frame = ArrayPool<byte>.Shared.Rent(Math.Min(size, received * 2));
        buffer.Slice(4).CopyTo(frame);
        input.AdvanceTo(buffer.End);
        while (received < size)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            if (result.IsCanceled || _shutdownRequested)
            {
                input.AdvanceTo(result.Buffer.Start);
                ArrayPool<byte>.Shared.Return(frame);
                return null;
            }
            var chunk = result.Buffer;
            var take = (int)Math.Min(chunk.Length, size - received);
            if (received + take > frame.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(size, Math.Max(2L * frame.Length, received + take)));
                frame.AsSpan(0, received).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(frame);
                frame = bigger;
            }
            chunk.Slice(0, take).CopyTo(frame.AsSpan(received));
            received += take;
            input.AdvanceTo(chunk.GetPosition(take));
            if (received < size && result.IsCompleted)
            {
                ArrayPool<byte>.Shared.Return(frame);
                return null;
            }
        }
        return frame;
    }

    /// <summary>Parses the header, checks the api, and queues the request. Returns why reading must
    /// stop, or null to go on.</summary>
    // Pooled builder: this method suspends once per request (waiting for the dispatch), and its
    // state machine would otherwise be a fresh allocation each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadEnd?> OnFrameAsync(byte[] frame, int size)
    {
        var apiKey = RequestHeaders.PeekApiKey(frame);
        var apiVersion = RequestHeaders.PeekApiVersion(frame);
        _metrics.RequestReceived((short)apiKey);

        // Kafka closes the connection for an api it does not serve or a version outside its range,
        // except ApiVersions, which is answered (at v0) with UNSUPPORTED_VERSION so the client learns.
        var known = _apis.TryGet(apiKey, out var range);
        var supported = known && apiVersion >= range.MinVersion && apiVersion <= range.MaxVersion;
        if (!supported && apiKey != ApiKey.ApiVersions)
        {
            ArrayPool<byte>.Shared.Return(frame);
            LogUnsupportedApi(Id, RemoteEndPoint, (short)apiKey, apiVersion);
            _metrics.ConnectionClosedForError();
            return ReadEnd.ProtocolError;
        }

        RequestHeader header;
        int bodyOffset;
        try
        {
            // An unknown future ApiVersions version is still read as flexible (header v2), as Kafka does.
            header = RequestHeaders.Parse(frame.AsMemory(0, size), out bodyOffset);
        }
        catch (ProtocolException ex)
        {
            ArrayPool<byte>.Shared.Return(frame);
            LogMalformedHeader(Id, RemoteEndPoint, (short)apiKey, apiVersion, ex.Message);
            _metrics.ConnectionClosedForError();
            return ReadEnd.ProtocolError;
        }

        try
        {
            await _inFlight.WaitAsync(_closed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(frame);
            throw;
        }

        var request = new RequestContext(this, _nextSequence++, header, frame, size, bodyOffset);
        if (!supported)
        {
            // Answered here, not dispatched: the body of an unknown version cannot be parsed anyway.
            request.ResponseVersion = 0;
            request.Respond(_apis.UnsupportedVersionResponse);
            return null;
        }

        try
        {
            await _requests.EnqueueAsync(request, _closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            request.TryClose("connection closed before the request was queued");
            return _shutdownRequested ? ReadEnd.Shutdown : ReadEnd.ClientClosed;
        }
        // The next request of this connection is queued only once this one has been dispatched.
        await _dispatched.WaitAsync().ConfigureAwait(false);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {RemoteEndPoint}: frame size {Size} is outside 8..{Max} (socket.request.max.bytes); closing")]
    private partial void LogBadFrameSize(long connectionId, System.Net.EndPoint? remoteEndPoint, int size, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {RemoteEndPoint}: unsupported api key {ApiKey} version {ApiVersion}; closing")]
    private partial void LogUnsupportedApi(long connectionId, System.Net.EndPoint? remoteEndPoint, short apiKey, short apiVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {RemoteEndPoint}: malformed request header (api key {ApiKey} version {ApiVersion}): {Reason}; closing")]
    private partial void LogMalformedHeader(long connectionId, System.Net.EndPoint? remoteEndPoint, short apiKey, short apiVersion, string reason);
}
