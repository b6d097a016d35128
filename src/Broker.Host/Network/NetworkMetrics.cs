namespace Broker.Host.Network;

/// <summary>
/// Plain counters of the network stage (a metrics exporter can read them later). All updates are
/// interlocked increments; reads are snapshots.
/// </summary>
public sealed class NetworkMetrics
{
    // Api keys are small non-negative numbers; anything outside is counted as unknown.
    private const int MaxApiKey = 128;
    private readonly long[] _requestsByApi = new long[MaxApiKey];
    private long _unknownApiRequests;
    private long _bytesIn;
    private long _bytesOut;
    private long _connectionsAccepted;
    private long _connectionsOpen;
    private long _connectionsClosedForErrors;
    private long _responsesSent;
    private Func<int>? _queueDepth;

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    public long ConnectionsOpen => Interlocked.Read(ref _connectionsOpen);

    /// <summary>Connections closed by the broker for a protocol error (oversize frame, bad header, unknown api).</summary>
    public long ConnectionsClosedForErrors => Interlocked.Read(ref _connectionsClosedForErrors);

    public long ResponsesSent => Interlocked.Read(ref _responsesSent);

    public long UnknownApiRequests => Interlocked.Read(ref _unknownApiRequests);

    /// <summary>Requests waiting in the shared request queue right now.</summary>
    public int RequestQueueDepth => _queueDepth?.Invoke() ?? 0;

    /// <summary>Requests received for <paramref name="apiKey"/> (whole frames with a parsed header).</summary>
    public long Requests(short apiKey) =>
        (uint)apiKey < MaxApiKey ? Interlocked.Read(ref _requestsByApi[apiKey]) : 0;

    public long Requests(Broker.Protocol.Messages.ApiKey apiKey) => Requests((short)apiKey);

    public long TotalRequests
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < MaxApiKey; i++)
            {
                sum += Interlocked.Read(ref _requestsByApi[i]);
            }
            return sum;
        }
    }

    internal void AttachQueueDepth(Func<int> depth) => _queueDepth = depth;

    internal void RequestReceived(short apiKey)
    {
        if ((uint)apiKey < MaxApiKey)
        {
            Interlocked.Increment(ref _requestsByApi[apiKey]);
        }
        else
        {
            Interlocked.Increment(ref _unknownApiRequests);
        }
    }

    internal void AddBytesIn(long n) => Interlocked.Add(ref _bytesIn, n);

    internal void AddBytesOut(long n) => Interlocked.Add(ref _bytesOut, n);

    internal void ResponseSent() => Interlocked.Increment(ref _responsesSent);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _connectionsAccepted);
        Interlocked.Increment(ref _connectionsOpen);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connectionsOpen);

    internal void ConnectionClosedForError() => Interlocked.Increment(ref _connectionsClosedForErrors);
}
