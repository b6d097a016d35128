using Broker.Host.Configuration;
using Microsoft.Extensions.Logging;

namespace Broker.Host;

public static class Program
{
    public static Task<int> Main(string[] args) =>
        BrokerStartup.RunAsync(args, Console.Out, Console.Error, RunBrokerAsync);

    private static async Task<int> RunBrokerAsync(BrokerSettings settings)
    {
        using var loggerFactory = LoggerFactory.Create(b => b
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            })
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning));
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
            {
                ctx.Cancel = true;
                stop.Cancel();
            });
        var node = await BrokerNode.StartAsync(settings, loggerFactory, stop.Token).ConfigureAwait(false);
        try
        {
            Console.WriteLine($"akkabroker {BrokerStartup.Version} ready on port {node.Port}");
            // Until SIGTERM / Ctrl-C, or until an operator makes this node leave the cluster (brokerctl cluster leave):
            // either way the graceful shutdown of DisposeAsync runs and the process exits 0.
            await Task.WhenAny(Task.Delay(Timeout.Infinite, stop.Token), node.LeaveRequested).ConfigureAwait(false);
            if (node.LeaveRequested.IsCompleted)
            {
                Console.WriteLine($"akkabroker node {settings.NodeId} leaves the cluster: shutting down");
            }
        }
        finally
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
        // The last line of a graceful stop (deploy scripts and the cluster tests look for it: the process is not their
        // child), after the console logger's queue is flushed (disposing the factory drains it; the using disposes it again).
        loggerFactory.Dispose();
        Console.WriteLine($"akkabroker node {settings.NodeId} exits with code {BrokerStartup.ExitOk}");
        return BrokerStartup.ExitOk;
    }
}
