using System.Collections.Concurrent;

namespace Broker.Host.Network.Client;

/// <summary>
/// One live <see cref="NodeConnection"/> per remote endpoint, reopened on the next use after it broke
/// (Kafka's NetworkClient reconnects the same way). Callers retry their own requests.
/// </summary>
public sealed class NodeConnectionPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Host, int Port), Lazy<Task<NodeConnection>>> _connections = new();
    private readonly string _clientId;
    private readonly TimeSpan _connectTimeout;
    private volatile bool _disposed;

    public NodeConnectionPool(string clientId, TimeSpan? connectTimeout = null)
    {
        _clientId = clientId;
        _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>The open connection to host:port, connecting (once, shared by concurrent callers) when needed.</summary>
    public async Task<NodeConnection> GetAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var key = (host, port);
        while (true)
        {
            var entry = _connections.GetOrAdd(key, k => new Lazy<Task<NodeConnection>>(() =>
                NodeConnection.ConnectAsync(k.Host, k.Port, _clientId, connectTimeout: _connectTimeout, cancellationToken: CancellationToken.None)));
            NodeConnection connection;
            try
            {
                connection = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NodeConnectionException)
            {
                _connections.TryRemove(new KeyValuePair<(string, int), Lazy<Task<NodeConnection>>>(key, entry));
                throw;
            }
            if (connection.IsOpen)
            {
                return connection;
            }
            if (_connections.TryRemove(new KeyValuePair<(string, int), Lazy<Task<NodeConnection>>>(key, entry)))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Closes the connection to host:port (e.g. after a timeout left it in doubt).</summary>
    public async Task ResetAsync(string host, int port)
    {
        if (_connections.TryRemove((host, port), out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
        {
            await entry.Value.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var key in _connections.Keys)
        {
            await ResetAsync(key.Host, key.Port).ConfigureAwait(false);
        }
    }
}
