using Microsoft.Extensions.Logging;

namespace Broker.Actors.Kernel;

/// <summary>
/// The runtime half of an actor: its mailbox, current instance, children, watchers and timers.
/// Everything except <see cref="Post"/>, <see cref="SendSystemMessage"/> and child creation runs on
/// the single thread currently running the mailbox, which is why no field here needs a lock
/// (the children table is the exception: the system creates top-level actors from any thread).
/// </summary>
internal sealed partial class ActorCell : IActorContext
{
    [ThreadStatic]
    private static ActorCell? t_creating;

    [ThreadStatic]
    private static ActorRef? t_currentSelf;

    private readonly Mailbox _mailbox;
    private readonly LocalActorRef? _parent;
    private ActorBase? _actor;
    private Action<object>? _behavior;
    private object? _currentMessage;
    private ActorRef? _currentSender;
    private volatile CellState _state;
    private ILogger? _log;
    private TimerScheduler? _timers;
    private Stash? _stash;
    private Queue<Envelope>? _unstashed;

    public ActorCell(ActorSystem system, Props props, LocalActorRef? parent, ActorPath path)
    {
        System = system;
        Props = props;
        _parent = parent;
        var settings = system.Settings;
        _mailbox = new Mailbox(
            props.Dispatcher ?? settings.Dispatcher,
            props.Throughput > 0 ? props.Throughput : settings.DefaultThroughput,
            props.MailboxCapacity);
        _mailbox.Attach(this);
        SelfRef = new LocalActorRef(this, path);
    }

    private enum CellState
    {
        Alive,
        Terminating,
        Terminated,
    }

    /// <summary>The cell whose Props factory is running on this thread (read by the ActorBase constructor).</summary>
    internal static ActorCell? Creating => t_creating;

    /// <summary>The actor running on this thread, the implicit sender of Tell.</summary>
    internal static ActorRef? CurrentSelf => t_currentSelf;

    public LocalActorRef SelfRef { get; }

    public ActorSystem System { get; }

    public Props Props { get; }

    public ActorRef Self => SelfRef;

    public ActorRef Sender => _currentSender ?? System.DeadLetters;

    public ActorRef Parent => (ActorRef?)_parent ?? SelfRef;

    public ILogger Log => _log ??= System.LoggerFactory.CreateLogger(Props.ActorType.FullName ?? Props.ActorType.Name);

    public ITimerScheduler Timers => _timers ??= new TimerScheduler(this);

    public IStash Stash => _stash ??= new Stash(this);

    internal bool HasUnstashed => _unstashed is { Count: > 0 };

    internal bool IsTerminated => _state == CellState.Terminated;

    /// <summary>Queues the Create system message; the instance is built on the mailbox thread.</summary>
    internal void Start() => SendSystemMessage(Create.Instance);

    /// <summary>The Tell path: enqueue and wake the mailbox. A closed or full mailbox dead-letters.</summary>
    internal void Post(object message, ActorRef? sender)
    {
        var mailbox = _mailbox;
        if (mailbox.IsClosed || !mailbox.TryEnqueue(new Envelope(message, sender)))
        {
            System.PublishDeadLetter(message, sender, SelfRef);
            return;
        }

        // The mailbox may have closed between the check and the enqueue: whoever sees it closed drains.
        if (mailbox.IsClosed)
            DrainToDeadLetters();
        else
            mailbox.Schedule();
    }

    internal void SendSystemMessage(SystemMessage message)
    {
        _mailbox.EnqueueSystem(message);
        if (_mailbox.IsClosed)
            DrainSystemMessagesOfDeadCell();
        else
            _mailbox.Schedule();
    }

    /// <summary>One mailbox run: system messages first, then up to Throughput user messages.</summary>
    internal void Run()
    {
        var previous = t_currentSelf;
        t_currentSelf = SelfRef;
        try
        {
            ProcessSystemMessages();
            var mailbox = _mailbox;
            for (var left = mailbox.Throughput; left > 0 && !mailbox.IsSuspended; left--)
            {
                Envelope envelope;
                if (_unstashed is { Count: > 0 } unstashed)
                    envelope = unstashed.Dequeue();
                else if (!mailbox.TryDequeue(out envelope))
                    break;
                Invoke(envelope);
                if (mailbox.HasSystemMessages)
                    ProcessSystemMessages();
            }
        }
        finally
        {
            t_currentSelf = previous;
        }
    }

    private void ProcessSystemMessages()
    {
        while (_mailbox.TryDequeueSystem(out var message))
        {
            try
            {
                switch (message)
                {
                    case Create: CreateActor(); break;
                    case Failed failed: HandleFailure(failed); break;
                    case Resume resume: ResumeAfterFailure(resume.Cause); break;
                    case Recreate recreate: FaultRecreate(recreate.Cause); break;
                    case Terminate: BeginTerminate(); break;
                    case ChildTerminated terminated: HandleChildTerminated(terminated.Child); break;
                    case Watch watch: AddWatcher(watch.Watcher); break;
                    case Unwatch unwatch: RemoveWatcher(unwatch.Watcher); break;
                }
            }
            catch (Exception ex)
            {
                // Kernel invariants broke (or a hook threw where we did not expect it): fail like a message would.
                HandleInvokeFailure(ex);
            }
        }
    }

    private void Invoke(in Envelope envelope)
    {
        _currentMessage = envelope.Message;
        _currentSender = envelope.Sender;
        try
        {
            if (envelope.Message is IAutoReceivedMessage)
                AutoReceive(envelope.Message);
            else
                Receive(envelope.Message);
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(ex);
        }
        finally
        {
            _currentMessage = null;
            _currentSender = null;
        }
    }

    private void Receive(object message)
    {
        if (_behavior is { } behavior)
            behavior(message);
        else
            _actor!.AroundReceive(message);
    }

    private void AutoReceive(object message)
    {
        switch (message)
        {
            case TimerEntry timer:
                if (_timers is not null && _timers.TryConsume(timer))
                    Receive(timer.Message);
                break;
            case DeathWatchNotification notice:
                if (_watching is not null && _watching.Remove(notice.ActorRef))
                    Receive(new Terminated(notice.ActorRef));
                break;
            case PoisonPill:
                Stop(SelfRef);
                break;
            case Kill:
                throw new ActorKilledException($"Kill received by {SelfRef.Path}");
        }
    }

    internal void Unhandled(object message)
    {
        if (message is Terminated terminated)
            throw new DeathPactException(terminated.ActorRef);
        if (Log.IsEnabled(LogLevel.Debug))
            Log.LogDebug("Unhandled message {MessageType} in {Path}", message.GetType().Name, SelfRef.Path);
        System.PublishDeadLetter(message, _currentSender, SelfRef);
    }

    private void CreateActor()
    {
        if (_state != CellState.Alive)
            return;
        try
        {
            _actor = NewActor();
            _actor.AroundPreStart();
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(new ActorInitializationException(SelfRef, $"{SelfRef.Path}: failed to start", ex));
        }
    }

    private ActorBase NewActor()
    {
        var previous = t_creating;
        t_creating = this;
        try
        {
            _behavior = null;
            return Props.NewActor();
        }
        finally
        {
            t_creating = previous;
        }
    }

    /// <summary>Safe from any thread: only the concurrent queue is touched.</summary>
    private void DrainToDeadLetters()
    {
        while (_mailbox.TryDequeue(out var envelope))
            System.PublishDeadLetter(envelope.Message, envelope.Sender, SelfRef);
    }

    private void DrainSystemMessagesOfDeadCell()
    {
        while (_mailbox.TryDequeueSystem(out var message))
        {
            // A watch on a dead actor is answered at once; everything else has nothing left to act on.
            if (message is Watch watch)
                watch.Watcher.Post(new DeathWatchNotification(SelfRef), SelfRef);
        }
    }

    public void Become(Action<object> behavior) => _behavior = behavior ?? throw new ArgumentNullException(nameof(behavior));

    public void Unbecome() => _behavior = null;

    internal void PushUnstashed(List<Envelope> envelopes)
    {
        // Unstashed messages go ahead of the mailbox and ahead of earlier unstashed ones still pending.
        var queue = new Queue<Envelope>(envelopes.Count + (_unstashed?.Count ?? 0));
        foreach (var envelope in envelopes)
            queue.Enqueue(envelope);
        if (_unstashed is not null)
        {
            while (_unstashed.Count > 0)
                queue.Enqueue(_unstashed.Dequeue());
        }

        _unstashed = queue;
    }

    internal Envelope CurrentEnvelope => _currentMessage is null
        ? throw new InvalidOperationException("Stash is only valid while processing a message")
        : new Envelope(_currentMessage, _currentSender);
}
