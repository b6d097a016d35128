using Broker.Actors.Kernel;
using Broker.Actors.Storage;

namespace Broker.Actors.Partition;

/// <summary>
/// What the rest of the broker holds for one local replica: the actor that owns its log (all writes
/// go through it) and the log itself, which readers use directly through its published snapshot so
/// fetches never queue behind appends.
/// </summary>
public sealed class PartitionHandle
{
    private Log? _log;

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

    internal void Attach(Log? log) => Volatile.Write(ref _log, log);

    /// <summary>Raised (on the partition actor) after the high watermark or log end moves.</summary>
    public event Action<PartitionHandle>? DataAppended;

    internal void RaiseDataAppended() => DataAppended?.Invoke(this);
}
