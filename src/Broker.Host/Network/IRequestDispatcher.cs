namespace Broker.Host.Network;

/// <summary>
/// Hands a request to whatever serves its API. The I/O loops call it one request at a time per
/// connection, in the order the connection sent them: the next request of the same connection is
/// dispatched only once the returned task has completed. So a dispatcher should return as soon as
/// the request is handed over (to a partition actor, to purgatory) and complete the response later
/// through <see cref="RequestContext.Respond"/>, without holding an I/O loop while it waits.
/// </summary>
public interface IRequestDispatcher
{
    ValueTask HandleAsync(RequestContext request);
}
