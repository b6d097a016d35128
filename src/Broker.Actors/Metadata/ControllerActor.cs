using Broker.Actors.Kernel;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Metadata;

/// <summary>
/// The active controller (the cluster singleton): active while this node leads the metadata quorum.
/// One command at a time: validated against the published image, turned into metadata records,
/// appended through <see cref="IMetadataQuorum"/> in the leader's epoch, and answered once committed
/// (by then this node's <see cref="MetadataPublisher"/> has applied the batch, so the next command
/// validates against an image that includes it). Commands that arrive meanwhile are stashed.
/// Not the leader: every command fails with <see cref="NotControllerException"/>.
/// A command handler is a pure function of the image: <c>Handle(command) -> ControllerResult</c>.
/// </summary>
internal sealed partial class ControllerActor : ActorBase
{
    /// <summary>Marks the messages that go through the one-at-a-time command path.</summary>
    internal interface ICommand;

    /// <summary>A command that names its own handler (a method of this actor in the command's partial file),
    /// so a new command needs no edit of the dispatch here: <c>ControllerResult Handle(ControllerActor c) => c.HandleX(this)</c>.</summary>
    internal interface IHandledCommand : ICommand
    {
        ControllerResult Handle(ControllerActor controller);
    }

    internal sealed record CreateTopics(IReadOnlyList<NewTopic> Topics, bool ValidateOnly) : ICommand;
    internal sealed record DeleteTopics(IReadOnlyList<TopicRef> Topics) : ICommand;
    internal sealed record CreatePartitions(IReadOnlyList<NewPartitions> Requests, bool ValidateOnly) : ICommand;
    internal sealed record AlterConfigs(IReadOnlyList<ConfigChange> Changes, bool Incremental, bool ValidateOnly) : ICommand;
    internal sealed record AllocateProducerIds(int BrokerId, long BrokerEpoch) : ICommand;

    /// <summary>The quorum announced a leader (delivered by the facade from <see cref="MetadataPublisher.LeaderChanged"/>).</summary>
    internal sealed record LeaderChanged(QuorumLeader Leader);

    private sealed record Committed(ActorRef? ReplyTo, Func<long, object> Reply, long Offset);
    private sealed record AppendFailed(ActorRef? ReplyTo, Exception Cause, int Epoch);
    private sealed record Activated(int Epoch);

    public const int ProducerIdBlockSize = 1000;

    private readonly ControllerSettings _settings;
    private readonly IMetadataQuorum _quorum;
    private readonly MetadataPublisher _publisher;
    private QuorumLeader _leader = QuorumLeader.Unknown;
    private int _activeEpoch = -1;
    private bool _activating;
    private bool _inFlight;

    public ControllerActor(ControllerSettings settings, IMetadataQuorum quorum, MetadataPublisher publisher)
    {
        _settings = settings;
        _quorum = quorum;
        _publisher = publisher;
    }

    private MetadataImage Image => _publisher.Current;

    private bool IsActive => _activeEpoch >= 0 && !_activating;

    protected override void PreStart() => OnLeaderChanged(_quorum.Leader);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ICommand command:
                if (_activeEpoch < 0)
                {
                    Sender.Tell(new Status.Failure(NotController()));
                }
                else if (_inFlight || _activating)
                {
                    Context.Stash.Stash();
                }
                else
                {
                    Execute(command, Sender);
                }
                break;
            case Committed c:
                _inFlight = false;
                // Run the reply even when nobody asked (internal commands such as fencing): it records what committed.
                var reply = c.Reply(c.Offset);
                c.ReplyTo?.Tell(reply);
                OnCommitted();
                // All of them, in order: the first one that appends stashes the rest again. Unstashing only one
                // left the others (heartbeats that commit nothing, behind a heartbeat) waiting for some later
                // commit, and their brokers, awaiting the answer, were fenced by their session meanwhile.
                Context.Stash.UnstashAll();
                break;
            case AppendFailed f when f.ReplyTo is null && _activating && f.Epoch == _activeEpoch:
                // Claiming the epoch failed: step down, and try again shortly if we still lead.
                Log.LogWarning(f.Cause, "node {NodeId} could not claim controller epoch {Epoch}", _quorum.NodeId, f.Epoch);
                Deactivate();
                Context.Timers.StartSingleTimer("reclaim", new LeaderChanged(_leader), TimeSpan.FromSeconds(1));
                break;
            case AppendFailed f:
                _inFlight = false;
                f.ReplyTo?.Tell(new Status.Failure(f.Cause));
                if (f.Cause is NotControllerException && f.Epoch == _activeEpoch)
                {
                    Deactivate();
                }
                Context.Stash.UnstashAll();
                break;
            case LeaderChanged l:
                OnLeaderChanged(l.Leader);
                break;
            case Activated a when a.Epoch == _activeEpoch && _activating:
                _activating = false;
                OnActivated();
                Context.Stash.UnstashAll();
                break;
            case Activated:
                break;
            default:
                if (!OnClusterMessage(message))
                {
                    Unhandled(message);
                }
                break;
        }
    }

    private void OnLeaderChanged(QuorumLeader leader)
    {
        if (leader.Epoch < _leader.Epoch)
        {
            return; // a stale announcement (the initial read raced with the quorum's callback)
        }
        _leader = leader;
        if (leader.LeaderId == _quorum.NodeId && leader.Epoch >= 0)
        {
            if (_activeEpoch == leader.Epoch)
            {
                return;
            }
            // Claim the epoch: a first committed batch in it means every batch of earlier leaders is
            // committed and applied here, so commands validate against the whole history.
            _activeEpoch = leader.Epoch;
            _activating = true;
            var epoch = leader.Epoch;
            _quorum.AppendAsync(epoch, [new NoOpRecord()]).PipeTo(Self,
                success: _ => new Activated(epoch),
                failure: ex => new AppendFailed(null, ex, epoch));
            Log.LogInformation("node {NodeId} is the active controller in epoch {Epoch}", _quorum.NodeId, epoch);
        }
        else if (_activeEpoch >= 0)
        {
            Deactivate();
        }
    }

    private void Deactivate()
    {
        Log.LogInformation("node {NodeId} is no longer the active controller (epoch {Epoch})", _quorum.NodeId, _activeEpoch);
        _activeEpoch = -1;
        _activating = false;
        OnDeactivated();
        // Stashed commands now fail with NOT_CONTROLLER; the forwarding broker retries on the new leader.
        Context.Stash.UnstashAll();
    }

    private void Execute(ICommand command, ActorRef? replyTo)
    {
        ControllerResult result;
        try
        {
            result = Handle(command);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            replyTo?.Tell(new Status.Failure(ex));
            return;
        }
        Submit(result, replyTo);
    }

    /// <summary>Appends a result's records (if any) and answers after the commit.</summary>
    private void Submit(ControllerResult result, ActorRef? replyTo)
    {
        if (result.Records.Count == 0)
        {
            // Nothing to commit, so no commit proves we still lead: answer from the image only under the Raft
            // leader lease. A paused active controller that resumes still thinks it leads until its core hears of
            // the new epoch, and its unfenced heartbeat answer would renew its own broker's metadata lease.
            if (replyTo is not null && !_quorum.HoldsLeaderLease(_activeEpoch))
            {
                replyTo.Tell(new Status.Failure(new NotControllerException(
                    $"node {_quorum.NodeId} leads controller epoch {_activeEpoch} without a quorum-confirmed lease")));
                return;
            }
            replyTo?.Tell(result.Reply(Image.Offset));
            return;
        }
        _inFlight = true;
        var epoch = _activeEpoch;
        _quorum.AppendAsync(epoch, result.Records).PipeTo(Self,
            success: offset => new Committed(replyTo, result.Reply, offset),
            failure: ex => new AppendFailed(replyTo, ex, epoch));
    }

    private ControllerResult Handle(ICommand command) => command switch
    {
        IHandledCommand h => h.Handle(this),
        CreateTopics m => ControllerResult.Of(HandleCreateTopics(m, out var records), records),
        DeleteTopics m => ControllerResult.Of(HandleDeleteTopics(m, out var records), records),
        CreatePartitions m => ControllerResult.Of(HandleCreatePartitions(m, out var records), records),
        AlterConfigs m => ControllerResult.Of(HandleAlterConfigs(m, out var records), records),
        AllocateProducerIds m => HandleAllocateProducerIds(m),
        AlterPartition m => HandleAlterPartition(m),
        ElectLeader m => HandleElectLeader(m),
        _ => HandleClusterCommand(command),
    };

    private ControllerResult HandleAllocateProducerIds(AllocateProducerIds command)
    {
        var (block, record) = ControllerDecisions.AllocateProducerIds(Image, command.BrokerId, command.BrokerEpoch, ProducerIdBlockSize);
        return new ControllerResult([record], _ => block);
    }

    private NotControllerException NotController() =>
        new(_leader.LeaderId >= 0
            ? $"node {_quorum.NodeId} is not the active controller (node {_leader.LeaderId} is, epoch {_leader.Epoch})"
            : $"node {_quorum.NodeId} is not the active controller (no leader known)");

    private static TopicResult Error(string name, ErrorCode code, string message) =>
        new(name, Guid.Empty, (short)code, message);
}

/// <summary>A command's decision: the records to commit and the reply once they are (given the batch's last offset).</summary>
internal readonly record struct ControllerResult(IReadOnlyList<IKafkaMessage> Records, Func<long, object> Reply)
{
    public static ControllerResult Of(object reply, IReadOnlyList<IKafkaMessage> records) => new(records, _ => reply);
}

/// <summary>A block of producer ids [Start, Start + Length) reserved for one broker.</summary>
public sealed record ProducerIdBlock(long Start, int Length);
