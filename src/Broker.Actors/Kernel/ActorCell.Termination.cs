using Microsoft.Extensions.Logging;

namespace Broker.Actors.Kernel;

/// <summary>
/// Stopping: children first (each runs its own PostStop), then this actor's PostStop, then the
/// watchers and the parent hear about it. That order is what makes system.Terminate() safe for
/// actors that own files: nothing outlives its parent.
/// </summary>
internal sealed partial class ActorCell
{
    private void BeginTerminate()
    {
        if (_state != CellState.Alive)
            return;
        var children = BeginStoppingChildren(CellState.Terminating);
        _mailbox.Suspend();
        _timers?.CancelAll();
        foreach (var child in children)
            child.SendSystemMessage(Terminate.Instance);
        if (children.Count == 0)
            FinishTerminate();
    }

    private void HandleChildTerminated(LocalActorRef child)
    {
        RemoveChild(child);
        if (_state == CellState.Terminating)
        {
            if (!HasChildren)
                FinishTerminate();
        }
        else if (_pendingRecreate is { } cause && !AnyChildStopping)
        {
            FinishRecreate(cause);
        }
    }

    private void FinishTerminate()
    {
        if (_actor is { } actor)
        {
            try
            {
                actor.AroundPostStop();
            }
            catch (Exception ex)
            {
                Log.LogError(ex, "{Path}: PostStop threw", SelfRef.Path);
            }
        }

        _actor = null;
        _behavior = null;
        _state = CellState.Terminated;
        _mailbox.Close();

        _stash?.DropAll();
        while (_unstashed is { Count: > 0 })
        {
            var envelope = _unstashed.Dequeue();
            System.PublishDeadLetter(envelope.Message, envelope.Sender, SelfRef);
        }

        DrainToDeadLetters();
        DrainSystemMessagesOfDeadCell();
        NotifyWatchersAndUnwatch();

        if (_parent is not null)
            _parent.SendSystemMessage(new ChildTerminated(SelfRef));
        else
            System.OnGuardianTerminated();
    }
}
