using Broker.Actors.Metadata;
using Broker.Protocol.Messages;

namespace Broker.Host.Cluster;

/// <summary>
/// The controller as this node's handlers see it (<see cref="IMetadataController"/>): reads come from the
/// node's <see cref="MetadataPublisher"/>; commands go to the active controller, in-process when this
/// node is it, otherwise forwarded over the wire (CreateTopics, DeleteTopics, CreatePartitions,
/// AlterConfigs, IncrementalAlterConfigs, AllocateProducerIds; replica admin and membership requests in the aspect files). While there is no active controller the
/// command is retried until <see cref="ForwardTimeout"/>, then answered NOT_CONTROLLER. After a forwarded
/// write succeeds it waits (briefly) until this node's image shows it, so a handler that reads the image
/// next sees its own write, as on the controller itself.
/// </summary>
public sealed partial class ForwardingController : IMetadataController
{
    public static readonly TimeSpan ForwardTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ImageWait = TimeSpan.FromSeconds(5);
    private readonly ControllerChannel _channel;
    private readonly MetadataPublisher _publisher;
    private readonly ProducerIdManager _producerIds;

    public ForwardingController(ControllerChannel channel, MetadataPublisher publisher, int nodeId, Func<long> brokerEpoch)
    {
        _channel = channel;
        _publisher = publisher;
        _producerIds = new ProducerIdManager(async () =>
            await RouteAsync(
                c => c.AllocateProducerIdsAsync(nodeId, brokerEpoch()),
                async () =>
                {
                    var r = await _channel.SendAsync<AllocateProducerIdsResponse>(new AllocateProducerIdsRequest { BrokerId = nodeId, BrokerEpoch = brokerEpoch() }, 0).ConfigureAwait(false);
                    return r is null || r.ErrorCode == (short)ErrorCode.NotController ? null
                        : r.ErrorCode != 0 ? throw new InvalidOperationException($"AllocateProducerIds failed with {(ErrorCode)r.ErrorCode}")
                        : new ProducerIdBlock(r.ProducerIdStart, r.ProducerIdLen);
                }).ConfigureAwait(false)
            ?? throw new NotControllerException("no active controller to allocate producer ids"));
    }

    public MetadataImage Current => _publisher.Current;

    public event Action<MetadataImage>? ImagePublished
    {
        add => _publisher.ImagePublished += value;
        remove => _publisher.ImagePublished -= value;
    }

    public Task<long> AllocateProducerIdAsync() => _producerIds.NextAsync();

    /// <summary>The in-process controller when this node is active, else <paramref name="remote"/>; retried while
    /// there is no active controller. Null: none answered in time (or this request was itself forwarded).</summary>
    private async Task<T?> RouteAsync<T>(Func<QuorumController, Task<T>> local, Func<Task<T?>> remote, TimeSpan? timeout = null)
        where T : class
    {
        var forwarded = ForwardedRequest.IsCurrent;
        return await ControllerChannel.RetryAsync(async () =>
        {
            if (_channel.LocalActive is { } controller)
            {
                return await local(controller).ConfigureAwait(false);
            }
            return forwarded ? null : await remote().ConfigureAwait(false);
        }, forwarded ? TimeSpan.Zero : timeout ?? ForwardTimeout).ConfigureAwait(false);
    }

    private static bool AllNotController<TItem>(IEnumerable<TItem> items, Func<TItem, short> code) =>
        items.Any() && items.All(i => code(i) == (short)ErrorCode.NotController);
}
