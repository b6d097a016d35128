using System.Net;
using System.Text.Json;
using Broker.Actors.Configs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Management;

/// <summary>
/// The HTTP management endpoint (Akka.Management's role): health probes and a read-only view of
/// members, partitions and per-node replica counts, on its own Kestrel listener apart from Kafka's.
/// State-changing routes (member leave/down, <c>ManagementServer.Members.cs</c>) answer 403 unless
/// <c>management.http.allow-state-changes</c> is true.
/// </summary>
public sealed partial class ManagementServer : IAsyncDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly WebApplication _app;
    private readonly ListenOptions _listener;

    private ManagementServer(WebApplication app, ListenOptions listener)
    {
        _app = app;
        _listener = listener;
    }

    /// <summary>The bound port (the real one when 0 was asked for).</summary>
    public int Port => _listener.IPEndPoint?.Port ?? -1;

    public static async Task<ManagementServer> StartAsync(BrokerNode node, string hostPort, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        // The config validator already checked host:port; split at the last colon ([::1]:80 too).
        var colon = hostPort.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(hostPort.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            throw new ConfigException(BrokerConfigs.ManagementHttpListener, $"'{hostPort}' is not of the form host:port");
        }
        var host = hostPort[..colon].Trim('[', ']');
        var address = host is "" or "0.0.0.0" ? IPAddress.Any
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var ip) ? ip
            : (await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false)).First();

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "akkabroker-management" });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggerFactory));
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets();
        builder.Services.AddRoutingCore();
        ListenOptions? listener = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(address, port, lo => listener = lo);
        });
        var app = builder.Build();
        app.UseRouting();
        MapRoutes(app, node);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new ManagementServer(app, listener!);
    }

    private static void MapRoutes(WebApplication app, BrokerNode node)
    {
        app.MapGet("/alive", () => Results.Text("alive\n"));
        app.MapGet("/ready", () => ClusterView.IsReady(node)
            ? Results.Text("ready\n")
            : Results.Text("not ready\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/cluster/members", async (CancellationToken ct) => Results.Json(await ClusterView.MembersAsync(node, ct).ConfigureAwait(false), Json));
        app.MapGet("/cluster/partitions", () => Results.Json(ClusterView.Partitions(node), Json));
        app.MapGet("/cluster/region-stats", () => Results.Json(ClusterView.RegionStats(node), Json));
        MapPartitionRoutes(app, node); // ManagementServer.Partitions.cs
        var groups = new ClusterGroups(node);
        app.MapGet("/groups", async (CancellationToken ct) => Results.Json(await groups.ListAsync(ct).ConfigureAwait(false), Json));
        app.MapGet("/groups/{groupId}", async (string groupId, CancellationToken ct) =>
        {
            try
            {
                return await groups.DescribeAsync(groupId, ct).ConfigureAwait(false) is { } group
                    ? Results.Json(group, Json)
                    : Results.Json(new ManagementMessage($"group {groupId} does not exist"), Json, statusCode: StatusCodes.Status404NotFound);
            }
            catch (ManagementProblem e)
            {
                return Results.Json(new ManagementMessage(e.Message), Json, statusCode: e.Status);
            }
            catch (Exception e) when (e is Network.Client.NodeConnectionException or TimeoutException or IOException)
            {
                return Results.Json(new ManagementMessage(e.Message), Json, statusCode: StatusCodes.Status502BadGateway);
            }
        });
        MapMemberRoutes(app, node); // ManagementServer.Members.cs
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
