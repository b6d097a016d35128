using System.Net.Sockets;
using Broker.Actors.Metadata;

namespace Broker.Host.Cluster;

/// <summary>
/// The controller's check that a suspected broker's process is gone: a TCP connect to each listener of its
/// registration. A crashed process's ports are closed, so the kernel refuses at once (RST); only when every
/// listener refuses is the broker gone. A paused process's kernel still completes the handshake, and an
/// unreachable host times out or reports another error: both answer "not gone", which leaves the broker to
/// <c>broker.session.timeout.ms</c>. The connection is closed right away without a request.
/// </summary>
public sealed class TcpBrokerLivenessProbe(TimeSpan connectTimeout) : IBrokerLivenessProbe
{
    public async Task<bool> IsGoneAsync(BrokerImage broker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var endpoints = broker.Endpoints.Length > 0
            ? broker.Endpoints.Select(e => (e.Host, e.Port)).Distinct().ToList()
            : [(broker.Host, broker.Port)];
        var refused = 0;
        foreach (var (host, port) in endpoints)
        {
            if (string.IsNullOrEmpty(host) || port <= 0)
            {
                continue;
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(connectTimeout);
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
                return false; // something listens there
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                refused++;
            }
#pragma warning disable CA1031 // A timeout, an unreachable network or a name that does not resolve proves nothing.
            catch (Exception)
#pragma warning restore CA1031
            {
                return false;
            }
        }
        return refused > 0;
    }
}
