using Broker.Actors.Kernel;
using Broker.Actors.Metadata;
using Broker.Actors.Storage;

namespace Broker.Actors.Partition;

/// <summary>
/// What the rest of the broker holds for one local replica: the actor that owns its log (all writes
/// go through it), the log itself, which readers use directly through its published snapshot so
/// fetches never queue behind appends, and the replica's role (<see cref="State"/>) as the actor last
/// published it, so handlers check leadership and epochs without asking.
/// </summary>
public sealed class PartitionHandle
{
    private Log? _log;
    private PartitionState _state = PartitionState.Standalone;
    private PartitionImage? _image;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PartitionHandle(TopicPartition topicPartition, Guid topicId)
    {
        TopicPartition = topicPartition;
        TopicId = topicId;
    }

    public TopicPartition TopicPartition { get; }
    public Guid TopicId { get; }
    public ActorRef Actor { get; internal set; } = null!;

    /// <summary>The open log, or null while the actor is (re)starting.</summary>
    public Log? Log => Volatile.Read(ref _log);

    /// <summary>Leader or follower, epochs and ISR, as the partition actor applies them.</summary>
    public PartitionState State
    {
        get => Volatile.Read(ref _state);
        internal set => Volatile.Write(ref _state, value);
    }

    /// <summary>The latest partition image the replica manager handed to the actor (a restarted actor starts from it).</summary>
    public PartitionImage? Image
    {
        get => Volatile.Read(ref _image);
        internal set => Volatile.Write(ref _image, value);
    }

    internal void Attach(Log? log) => Volatile.Write(ref _log, log);

    /// <summary>Completes once the actor has stopped for good (the replica was deleted or moved away, or the node
    /// stops; not on a restart). A message told to it after that is never answered, so whoever waits for an answer
    /// (the replica fetcher) waits for this too.</summary>
    public Task Stopped => _stopped.Task;

    internal void MarkStopped() => _stopped.TrySetResult();

    /// <summary>Raised (on the partition actor) after the high watermark, log end or role changes.</summary>
    public event Action<PartitionHandle>? DataAppended;

    internal void RaiseDataAppended() => DataAppended?.Invoke(this);

    /// <summary>Raised (on the partition actor, in order) after the replica became leader or follower, or its
    /// leader epoch changed; <see cref="State"/> holds the new role. Coordinators follow it (Kafka's onElection /
    /// onResignation).</summary>
    public event Action<PartitionHandle>? LeadershipChanged;

    internal void RaiseLeadershipChanged() => LeadershipChanged?.Invoke(this);
}
