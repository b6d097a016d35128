using Broker.Actors.Metadata;

namespace Broker.Host;

// Topic creation right after a node starts. The listener opens before the node has registered and been unfenced, and
// until some broker is unfenced the controller has nowhere to place replicas: CreateTopics (and Metadata's
// auto-creation, and __consumer_offsets) would answer INVALID_REPLICATION_FACTOR, which Kafka's clients take as final.
// Kafka opens its data plane only after the initial catch-up; here the creating requests wait for it instead, bounded.
public sealed partial class BrokerNode
{
    /// <summary>Whether <paramref name="image"/> has a broker new replicas can go to (what the controller's
    /// <see cref="ReplicaPlacer"/> counts): registered, unfenced and not shutting down.</summary>
    private static bool HasUsableBroker(MetadataImage image)
    {
        foreach (var broker in image.Brokers.Values)
        {
            if (!broker.Fenced && !broker.InControlledShutdown)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Completes once this node has caught up with the metadata log since it started (<see cref="InitialCatchUp"/>) and
    /// its image shows at least one usable broker, or after <paramref name="bound"/> (the request's timeout): the
    /// caller then asks the controller anyway and passes on its answer. The controller decides on its own image, which
    /// is never behind this node's, so a usable broker here is one there too (unless fenced since).
    /// </summary>
    internal async Task WaitUntilTopicsCanBeCreatedAsync(TimeSpan bound)
    {
        if (InitialCatchUp.IsCompletedSuccessfully && HasUsableBroker(MetadataPublisher.Current))
        {
            return;
        }
        if (bound <= TimeSpan.Zero)
        {
            return;
        }
        var started = TimeProvider.System.GetTimestamp();
        await InitialCatchUp.WaitAsync(bound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var remaining = bound - TimeProvider.System.GetElapsedTime(started);
        if (remaining <= TimeSpan.Zero)
        {
            return;
        }
        var usable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnImage(MetadataImage image)
        {
            if (HasUsableBroker(image))
            {
                usable.TrySetResult();
            }
        }
        MetadataPublisher.ImagePublished += OnImage;
        try
        {
            // Subscribed first, then looked: an image published in between is seen by one or the other.
            OnImage(MetadataPublisher.Current);
            await usable.Task.WaitAsync(remaining).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            MetadataPublisher.ImagePublished -= OnImage;
        }
    }
}
