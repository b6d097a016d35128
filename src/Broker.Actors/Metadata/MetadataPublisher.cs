using Broker.Protocol.Messages;

namespace Broker.Actors.Metadata;

/// <summary>
/// Every node's view of the cluster (Kafka's MetadataLoader + publishers): follows the committed
/// <c>__cluster_metadata</c> batches from its <see cref="IMetadataQuorum"/> and publishes a new immutable
/// <see cref="MetadataImage"/> after each. The quorum calls it from one thread at a time, in log order.
/// While nobody listens (the replay at startup) batches only accumulate in the delta; the image is built
/// when first read, so a long log replays in linear time.
/// </summary>
public sealed class MetadataPublisher : IMetadataListener
{
    private readonly Lock _lock = new();
    private readonly string _clusterId;
    private MetadataDelta _delta;
    private long _pendingOffset = -1;
    private bool _dirty;
    private MetadataImage _image;
    private QuorumLeader _leader = QuorumLeader.Unknown;

    public MetadataPublisher(string clusterId)
    {
        _clusterId = clusterId;
        _image = MetadataDelta.Empty(clusterId);
        _delta = new MetadataDelta(_image);
    }

    /// <summary>The latest image (all committed batches delivered so far applied).</summary>
    public MetadataImage Current
    {
        get
        {
            if (!Volatile.Read(ref _dirty))
            {
                return Volatile.Read(ref _image);
            }
            lock (_lock)
            {
                return Materialize();
            }
        }
    }

    /// <summary>The quorum's leader (the active controller) as last announced.</summary>
    public QuorumLeader Leader => _leader;

    /// <summary>Raised after each new image, in log order, on the quorum's delivery thread.</summary>
    public event Action<MetadataImage>? ImagePublished;

    /// <summary>Raised when the quorum announces a new leader (or none).</summary>
    public event Action<QuorumLeader>? LeaderChanged;

    public void OnCommitted(long lastOffset, int epoch, IReadOnlyList<IKafkaMessage> records)
    {
        MetadataImage? publish = null;
        lock (_lock)
        {
            foreach (var record in records)
            {
                _delta.Replay(record);
            }
            _pendingOffset = lastOffset;
            Volatile.Write(ref _dirty, true);
            if (ImagePublished is not null)
            {
                publish = Materialize();
            }
        }
        if (publish is not null)
        {
            ImagePublished?.Invoke(publish);
        }
    }

    public void OnSnapshot(long endOffset, IReadOnlyList<IKafkaMessage> records)
    {
        MetadataImage image;
        lock (_lock)
        {
            _delta = new MetadataDelta(MetadataDelta.Empty(_clusterId));
            foreach (var record in records)
            {
                _delta.Replay(record);
            }
            // A snapshot at end offset N holds everything below N.
            _pendingOffset = endOffset - 1;
            Volatile.Write(ref _dirty, true);
            image = Materialize();
        }
        ImagePublished?.Invoke(image);
    }

    public void OnLeaderChange(QuorumLeader leader)
    {
        _leader = leader;
        LeaderChanged?.Invoke(leader);
    }

    /// <summary>Completes once the image covers <paramref name="offset"/> (or the timeout passes: false).</summary>
    public Task<bool> WaitForOffsetAsync(long offset, TimeSpan timeout) => WaitForAsync(image => image.Offset >= offset, timeout);

    /// <summary>Completes with true once an image satisfies <paramref name="condition"/>, false after the timeout.</summary>
    public async Task<bool> WaitForAsync(Func<MetadataImage, bool> condition, TimeSpan timeout)
    {
        if (condition(Current))
        {
            return true;
        }
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnImage(MetadataImage image)
        {
            if (condition(image))
            {
                reached.TrySetResult();
            }
        }
        ImagePublished += OnImage;
        try
        {
            if (condition(Current))
            {
                return true;
            }
            await reached.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return condition(Current);
        }
        finally
        {
            ImagePublished -= OnImage;
        }
    }

    private MetadataImage Materialize()
    {
        if (_dirty)
        {
            Volatile.Write(ref _image, _delta.Apply(_pendingOffset));
            Volatile.Write(ref _dirty, false);
        }
        return _image;
    }
}
