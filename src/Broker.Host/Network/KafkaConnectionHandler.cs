using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Network;

/// <summary>
/// Kestrel's entry point for the Kafka listener (<c>ListenOptions.UseConnectionHandler</c>): no HTTP,
/// just the socket's pipes, handed to a <see cref="KafkaConnection"/> for the connection's lifetime.
/// </summary>
public sealed class KafkaConnectionHandler(
    NetworkSettings settings,
    RequestChannel requests,
    ApiVersionTable apis,
    NetworkMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<KafkaConnectionHandler> logger) : ConnectionHandler
{
    private long _nextConnectionId;

    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var id = Interlocked.Increment(ref _nextConnectionId);
        var kafka = new KafkaConnection(id, connection, settings, requests, apis, metrics, logger);
        return kafka.RunAsync(lifetime.ApplicationStopping);
    }
}
