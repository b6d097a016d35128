using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Network;

/// <summary>
/// The broker's Kafka listener, in-process: Kestrel's socket transport with
/// <see cref="KafkaConnectionHandler"/> on the listener (no HTTP on that port), the shared
/// <see cref="RequestChannel"/> and its I/O loops, and ApiVersions answered in front of the
/// given dispatcher. Tests start it on port 0 and read <see cref="Port"/>.
/// </summary>
public sealed class BrokerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ListenOptions _listener;
    private readonly RequestChannel _requests;
    private int _stopped;

    private BrokerServer(WebApplication app, ListenOptions listener, RequestChannel requests, NetworkMetrics metrics, NetworkSettings settings)
    {
        _app = app;
        _listener = listener;
        _requests = requests;
        Metrics = metrics;
        Settings = settings;
    }

    public NetworkMetrics Metrics { get; }

    public NetworkSettings Settings { get; }

    /// <summary>The address the listener is bound to (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint => _listener.IPEndPoint ?? throw new InvalidOperationException("listener is not an IP endpoint");

    public int Port => EndPoint.Port;

    /// <summary>Starts the listener. <paramref name="dispatcher"/> serves every API but ApiVersions;
    /// null closes the connection on any other API.</summary>
    public static async Task<BrokerServer> StartAsync(
        NetworkSettings settings,
        IRequestDispatcher? dispatcher = null,
        ApiVersionTable? apis = null,
        Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        apis ??= ApiVersionTable.Default;
        var address = await ResolveAsync(settings.Host, cancellationToken).ConfigureAwait(false);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "akkabroker" });
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout + TimeSpan.FromSeconds(5));
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(o =>
        {
            // The transport stops reading a socket at this much unconsumed input (see LargeFrameThreshold).
            o.MaxReadBufferSize = 1024 * 1024;
            o.NoDelay = true;
        });
        ListenOptions? listener = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(address, settings.Port, lo =>
            {
                lo.UseConnectionHandler<KafkaConnectionHandler>();
                listener = lo;
            });
        });
        var metrics = new NetworkMetrics();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(apis);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton<IRequestDispatcher>(new ApiVersionsDispatcher(apis, dispatcher));
        builder.Services.AddSingleton<RequestChannel>();
        builder.Services.AddSingleton<KafkaConnectionHandler>();

        var app = builder.Build();
        var requests = app.Services.GetRequiredService<RequestChannel>();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await requests.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new BrokerServer(app, listener!, requests, metrics, settings);
    }

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var ip))
        {
            return ip;
        }
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }
        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        return addresses.Length > 0 ? addresses[0] : throw new ArgumentException($"listener host {host} does not resolve");
    }

    /// <summary>
    /// Graceful stop: the listener closes, each connection stops reading, writes the responses to what
    /// it has read (up to <see cref="NetworkSettings.ShutdownTimeout"/>), and closes; then the I/O
    /// loops finish the queue.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        await _requests.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
