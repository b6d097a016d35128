namespace Broker.Actors.Kernel;

/// <summary>
/// Death watch. The watched side keeps its watchers and tells them on stop; the watching side keeps
/// what it watches so an Unwatch (or a duplicate notice) filters out late <see cref="Terminated"/> messages.
/// </summary>
internal sealed partial class ActorCell
{
    private HashSet<ActorRef>? _watching;
    private HashSet<ActorRef>? _watchedBy;

    public ActorRef Watch(ActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (subject != SelfRef && (_watching ??= []).Add(subject))
            subject.SendSystemMessage(new Watch(subject, SelfRef));
        return subject;
    }

    public ActorRef Unwatch(ActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (_watching is not null && _watching.Remove(subject))
            subject.SendSystemMessage(new Unwatch(subject, SelfRef));
        return subject;
    }

    private void AddWatcher(ActorRef watcher)
    {
        if (_state == CellState.Terminated)
            watcher.Post(new DeathWatchNotification(SelfRef), SelfRef);
        else if (watcher != SelfRef)
            (_watchedBy ??= []).Add(watcher);
    }

    private void RemoveWatcher(ActorRef watcher) => _watchedBy?.Remove(watcher);

    private void NotifyWatchersAndUnwatch()
    {
        if (_watchedBy is not null)
        {
            // Sent as an ordinary message from Self, so it arrives after everything Self sent the watcher.
            foreach (var watcher in _watchedBy)
                watcher.Post(new DeathWatchNotification(SelfRef), SelfRef);
            _watchedBy = null;
        }

        if (_watching is not null)
        {
            foreach (var subject in _watching)
                subject.SendSystemMessage(new Unwatch(subject, SelfRef));
            _watching = null;
        }
    }
}
