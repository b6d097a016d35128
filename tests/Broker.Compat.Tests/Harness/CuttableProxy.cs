using System.Net;
using System.Net.Sockets;

namespace Broker.Compat.Tests.Harness;

/// <summary>
/// A loopback TCP proxy in front of the broker whose live connections can be cut at will (both
/// sides reset), while it keeps accepting new ones: a network failure in the middle of a stream.
/// The broker advertises the proxy's port so clients reconnect through it.
/// </summary>
public sealed class CuttableProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly List<(TcpClient Client, TcpClient Upstream)> _live = [];
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public CuttableProxy()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptLoop();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The broker's port; set once the broker runs (connections before that are refused by closing).</summary>
    public int TargetPort { get; set; }

    public int Cuts { get; private set; }

    /// <summary>Resets every live connection (RST on both sides).</summary>
    public int Cut()
    {
        List<(TcpClient Client, TcpClient Upstream)> live;
        lock (_gate)
        {
            live = [.. _live];
            _live.Clear();
        }
        foreach (var (client, upstream) in live)
        {
            Reset(client);
            Reset(upstream);
        }
        Cuts++;
        return live.Count;
    }

    private static void Reset(TcpClient c)
    {
        try
        {
            c.Client.LingerState = new LingerOption(true, 0);
            c.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        var upstream = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, TargetPort, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Reset(client);
            Reset(upstream);
            return;
        }
        lock (_gate)
        {
            _live.Add((client, upstream));
        }
        var a = Pump(client, upstream);
        var b = Pump(upstream, client);
        await Task.WhenAny(a, b);
        Reset(client);
        Reset(upstream);
        lock (_gate)
        {
            _live.Remove((client, upstream));
        }
    }

    private async Task Pump(TcpClient from, TcpClient to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var source = from.GetStream();
            var sink = to.GetStream();
            while (true)
            {
                var n = await source.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    return;
                }
                await sink.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException or InvalidOperationException)
        {
            // cut or closed
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
