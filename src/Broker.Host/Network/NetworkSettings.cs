namespace Broker.Host.Network;

/// <summary>
/// The Kafka listener's settings, named after Kafka's broker configs. The broker binds this record
/// from its HOCON configuration; tests build it directly (port 0 asks the OS for a free port).
/// </summary>
public sealed record NetworkSettings
{
    /// <summary>Address the Kafka listener binds (the host part of <c>listeners</c>).</summary>
    public string Host { get; init; } = "0.0.0.0";

    /// <summary>Port of the Kafka listener; 0 picks a free port, reported by <see cref="BrokerServer.Port"/>.</summary>
    public int Port { get; init; } = 9092;

    /// <summary><c>socket.request.max.bytes</c>: a request frame larger than this closes the connection.</summary>
    public int SocketRequestMaxBytes { get; init; } = 100 * 1024 * 1024;

    /// <summary><c>queued.max.requests</c>: capacity of the shared request queue between the
    /// connection readers and the I/O loops. When it is full, readers stop reading their sockets.</summary>
    public int QueuedMaxRequests { get; init; } = 500;

    /// <summary><c>num.io.threads</c>: loops taking requests from the queue and dispatching them.</summary>
    public int NumIoThreads { get; init; } = 8;

    /// <summary>Requests of one connection that have been read but whose response has not been written
    /// yet (waiting in the queue, in a handler or in purgatory). The reader stops at this many, which
    /// bounds the pooled frames a single pipelining client can pin.</summary>
    public int MaxInFlightRequestsPerConnection { get; init; } = 100;

    /// <summary>How long a graceful shutdown waits for in-flight responses before closing connections.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws if a setting is out of range, naming the Kafka config.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "listener port must be 0..65535");
        }
        if (SocketRequestMaxBytes < 64)
        {
            throw new ArgumentOutOfRangeException(nameof(SocketRequestMaxBytes), SocketRequestMaxBytes, "socket.request.max.bytes must be at least 64");
        }
        if (QueuedMaxRequests < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(QueuedMaxRequests), QueuedMaxRequests, "queued.max.requests must be at least 1");
        }
        if (NumIoThreads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NumIoThreads), NumIoThreads, "num.io.threads must be at least 1");
        }
        if (MaxInFlightRequestsPerConnection < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInFlightRequestsPerConnection), MaxInFlightRequestsPerConnection, "must be at least 1");
        }
    }
}
