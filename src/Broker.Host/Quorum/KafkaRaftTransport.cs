using System.Net.Sockets;
using Broker.Actors.Raft;
using Broker.Actors.Raft.Runtime;
using Broker.Actors.Raft.Wire;
using Broker.Host.Network.Client;
using W = Broker.Protocol.Messages;

namespace Broker.Host.Quorum;

/// <summary>
/// The Raft core's requests over the Kafka protocol to the other quorum members' CONTROLLER listeners
/// (<c>controller.quorum.voters</c>), through <see cref="NodeConnectionPool"/>. Fetches (which the leader
/// may hold for up to their max wait) use their own connections, so a vote or BeginQuorumEpoch never
/// queues behind a long-poll: a connection answers in request order.
/// </summary>
public sealed class KafkaRaftTransport : IRaftTransport, IAsyncDisposable
{
    private readonly IReadOnlyDictionary<int, (string Host, int Port)> _voters;
    private readonly NodeConnectionPool _fetches;
    private readonly NodeConnectionPool _control;
    private readonly TimeSpan _requestTimeout;

    public KafkaRaftTransport(int nodeId, IReadOnlyDictionary<int, (string Host, int Port)> voters, TimeSpan requestTimeout)
    {
        _voters = voters;
        _requestTimeout = requestTimeout;
        var connectTimeout = requestTimeout < TimeSpan.FromSeconds(5) ? requestTimeout : TimeSpan.FromSeconds(5);
        _fetches = new NodeConnectionPool($"raft-fetch-{nodeId}", connectTimeout);
        _control = new NodeConnectionPool($"raft-{nodeId}", connectTimeout);
    }

    public async Task<RaftMessage> SendAsync(int destination, RaftMessage request, CancellationToken cancellationToken)
    {
        if (!_voters.TryGetValue(destination, out var endpoint))
        {
            throw new InvalidOperationException($"no endpoint for quorum member {destination}");
        }
        var (message, version) = RaftWire.ToWireRequest(request);
        var pool = request is FetchRequest or FetchSnapshotRequest ? _fetches : _control;
        try
        {
            return await SendAsync(pool, endpoint, request, message, version, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeConnectionException e) when (!cancellationToken.IsCancellationRequested)
        {
            // A crashed member's connections break and its port refuses: say so, and a follower stands for election
            // without waiting out the fetch timeout. A timeout proves nothing (a paused member causes it too).
            if (Refused(e) || (e.InnerException is not null && await RefusesAsync(pool, endpoint).ConfigureAwait(false)))
            {
                throw new RaftPeerGoneException(destination, $"quorum member {destination} is gone: {e.Message}", e);
            }
            throw;
        }
    }

    private static bool Refused(NodeConnectionException e) =>
        e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };

    /// <summary>After a broken connection: does the member's port refuse a new one? (A connection that opens stays in the pool.)</summary>
    private static async Task<bool> RefusesAsync(NodeConnectionPool pool, (string Host, int Port) endpoint)
    {
        try
        {
            await pool.GetAsync(endpoint.Host, endpoint.Port).ConfigureAwait(false);
            return false;
        }
        catch (NodeConnectionException e)
        {
            return Refused(e);
        }
    }

    private async Task<RaftMessage> SendAsync(NodeConnectionPool pool, (string Host, int Port) endpoint, RaftMessage request,
        W.IKafkaMessage message, short version, CancellationToken cancellationToken)
    {
        var connection = await pool.GetAsync(endpoint.Host, endpoint.Port, cancellationToken).ConfigureAwait(false);
        // A long-poll fetch is held up to its max wait before the answer starts.
        var timeout = request is FetchRequest fetch ? _requestTimeout + TimeSpan.FromMilliseconds(fetch.MaxWaitMs) : _requestTimeout;
        W.IKafkaMessage response = request switch
        {
            VoteRequest => await connection.SendAsync<W.VoteResponse>(message, version, timeout, cancellationToken).ConfigureAwait(false),
            BeginQuorumEpochRequest => await connection.SendAsync<W.BeginQuorumEpochResponse>(message, version, timeout, cancellationToken).ConfigureAwait(false),
            EndQuorumEpochRequest => await connection.SendAsync<W.EndQuorumEpochResponse>(message, version, timeout, cancellationToken).ConfigureAwait(false),
            FetchRequest => await connection.SendAsync<W.FetchResponse>(message, version, timeout, cancellationToken).ConfigureAwait(false),
            FetchSnapshotRequest => await connection.SendAsync<W.FetchSnapshotResponse>(message, version, timeout, cancellationToken).ConfigureAwait(false),
            DescribeQuorumRequest => await connection.SendAsync<W.DescribeQuorumResponse>(message, version, timeout, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentException($"not a Raft request: {request.GetType().Name}"),
        };
        return RaftWire.FromWireResponse(request, response);
    }

    public async ValueTask DisposeAsync()
    {
        await _fetches.DisposeAsync().ConfigureAwait(false);
        await _control.DisposeAsync().ConfigureAwait(false);
    }
}
