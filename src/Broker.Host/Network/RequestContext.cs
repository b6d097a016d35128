using System.Net;
using Broker.Protocol.Messages;

namespace Broker.Host.Network;

/// <summary>How a request was finished.</summary>
internal enum CompletionKind : byte
{
    Pending = 0,
    Response = 1,
    NoResponse = 2,
    Close = 3,
}

/// <summary>
/// One request read from a connection: its header, its body (a slice of a pooled frame) and the
/// way to answer it. Exactly one of <see cref="Respond"/>, <see cref="RespondNothing"/> or
/// <see cref="CloseConnection"/> must be called, from any thread, at any time; responses still go
/// back in request order. <see cref="Body"/> is valid until the response has been written: do not
/// keep it after completing (the frame returns to the pool).
/// </summary>
public sealed class RequestContext
{
    private readonly KafkaConnection _connection;
    private readonly byte[] _frame;
    private readonly int _frameLength;
    private readonly int _bodyOffset;
    private int _state; // CompletionKind, set once

    internal RequestContext(KafkaConnection connection, long sequence, RequestHeader header, byte[] frame, int frameLength, int bodyOffset)
    {
        _connection = connection;
        Sequence = sequence;
        Header = header;
        _frame = frame;
        _frameLength = frameLength;
        _bodyOffset = bodyOffset;
    }

    public long ConnectionId => _connection.Id;

    public EndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    /// <summary>The request header (generated type), read at the api version's header version.</summary>
    public RequestHeader Header { get; }

    public ApiKey ApiKey => (ApiKey)Header.RequestApiKey;

    public short ApiVersion => Header.RequestApiVersion;

    public int CorrelationId => Header.CorrelationId;

    public string? ClientId => Header.ClientId;

    /// <summary>The request body after the header, a slice of the pooled frame.</summary>
    public ReadOnlyMemory<byte> Body => _frame.AsMemory(_bodyOffset, _frameLength - _bodyOffset);

    /// <summary>Fires when the connection is gone; work for this request can be dropped.</summary>
    public CancellationToken ConnectionClosed => _connection.Closed;

    public bool IsCompleted => Volatile.Read(ref _state) != (int)CompletionKind.Pending;

    /// <summary>Set when the body must be written at another version than the request's (ApiVersions
    /// answers an unsupported version with v0).</summary>
    internal short ResponseVersion { get; set; } = -1;

    internal long Sequence { get; }

    internal CompletionKind Kind => (CompletionKind)Volatile.Read(ref _state);

    internal IResponseBody? ResponseBody { get; private set; }

    internal IKafkaMessage? ResponseMessage { get; private set; }

    internal string? CloseReason { get; private set; }

    internal byte[] Frame => _frame;

    /// <summary>Queues <paramref name="body"/> as this request's response. A body that is
    /// <see cref="IDisposable"/> is disposed once written (or dropped with the connection).</summary>
    public void Respond(IResponseBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!TryComplete(CompletionKind.Response, body, null, null))
        {
            ThrowAlreadyCompleted();
        }
    }

    /// <summary>Queues a generated response message, written at the request's version.</summary>
    public void Respond(IKafkaMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!TryComplete(CompletionKind.Response, null, message, null))
        {
            ThrowAlreadyCompleted();
        }
    }

    /// <summary>This request has no response (produce with acks=0); the next one may go out.</summary>
    public void RespondNothing()
    {
        if (!TryComplete(CompletionKind.NoResponse, null, null, null))
        {
            ThrowAlreadyCompleted();
        }
    }

    /// <summary>Closes the connection once the responses before this request are written.</summary>
    public void CloseConnection(string reason)
    {
        if (!TryComplete(CompletionKind.Close, null, null, reason))
        {
            ThrowAlreadyCompleted();
        }
    }

    /// <summary>Completes without throwing if already complete (error paths).</summary>
    internal bool TryClose(string reason) => TryComplete(CompletionKind.Close, null, null, reason);

    private bool TryComplete(CompletionKind kind, IResponseBody? body, IKafkaMessage? message, string? reason)
    {
        if (Interlocked.CompareExchange(ref _state, (int)kind, (int)CompletionKind.Pending) != (int)CompletionKind.Pending)
        {
            return false;
        }
        // The writer reads these only after receiving this context from the connection's queue.
        ResponseBody = body;
        ResponseMessage = message;
        CloseReason = reason;
        _connection.OnRequestCompleted(this);
        return true;
    }

    /// <summary>Lets the connection queue its next request (dispatch is in order per connection).</summary>
    internal void OnDispatched() => _connection.OnRequestDispatched();

    private void ThrowAlreadyCompleted() =>
        throw new InvalidOperationException($"request {Header.CorrelationId} (api {ApiKey}) was already completed");
}
