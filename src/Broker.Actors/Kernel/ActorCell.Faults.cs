using Microsoft.Extensions.Logging;

namespace Broker.Actors.Kernel;

/// <summary>Failure and restart: the child half (suspend, report, be recreated) and the parent half (decide).</summary>
internal sealed partial class ActorCell
{
    private bool _failed;
    private object? _failedMessage;
    private Exception? _pendingRecreate;

    /// <summary>
    /// The actor threw: stop taking user messages and let the parent decide. The mailbox keeps
    /// filling meanwhile; nothing is lost unless the decision is Stop.
    /// </summary>
    private void HandleInvokeFailure(Exception cause)
    {
        if (_state != CellState.Alive)
        {
            Log.LogError(cause, "{Path} failed while stopping", SelfRef.Path);
            return;
        }

        if (!_failed)
        {
            _failed = true;
            _failedMessage = _currentMessage;
            _mailbox.Suspend();
        }

        if (_parent is not null)
        {
            _parent.SendSystemMessage(new Failed(SelfRef, cause));
            return;
        }

        // The user guardian has no supervisor: it only fails if its own kernel code breaks, so stop the tree.
        System.Log.LogCritical(cause, "{Path} failed; stopping the actor system", SelfRef.Path);
        BeginTerminate();
    }

    /// <summary>Parent side: apply this actor's strategy to a failed child.</summary>
    private void HandleFailure(Failed failed)
    {
        if (_state != CellState.Alive)
            return; // we are stopping every child anyway
        var child = FindChild(failed.Child);
        if (child is null || child.Stopping)
            return; // a stale report from a child already on its way out

        var strategy = _actor?.GetSupervisorStrategy() ?? SupervisorStrategy.DefaultStrategy;
        var directive = strategy.Decide(failed.Cause);

        // Nothing above the user guardian can take an escalation; stopping the one top-level actor
        // keeps a single broken subsystem from taking the whole broker down.
        if (directive == Directive.Escalate && _parent is null)
            directive = Directive.Stop;

        LogFailure(failed, directive);
        switch (directive)
        {
            case Directive.Resume:
                failed.Child.SendSystemMessage(new Resume(failed.Cause));
                break;
            case Directive.Restart:
                strategy.ProcessFailure(this, restart: true, child, failed.Cause);
                break;
            case Directive.Stop:
                strategy.ProcessFailure(this, restart: false, child, failed.Cause);
                break;
            case Directive.Escalate:
                HandleInvokeFailure(failed.Cause);
                break;
        }
    }

    private void LogFailure(Failed failed, Directive directive)
    {
        if (directive == Directive.Escalate)
            return; // logged once, where it is finally handled
        var level = directive == Directive.Resume ? LogLevel.Warning : LogLevel.Error;
        Log.Log(level, failed.Cause, "{Child} failed: {Message}; supervisor {Path} decided {Directive}",
            failed.Child.Path, failed.Cause.Message, SelfRef.Path, directive);
    }

    private void ResumeAfterFailure(Exception cause)
    {
        if (_state != CellState.Alive)
            return;
        if (_actor is null)
        {
            // Nothing to resume: the instance never got built.
            FaultRecreate(cause);
            return;
        }

        if (_failed)
        {
            _failed = false;
            _failedMessage = null;
            _mailbox.Resume();
        }
    }

    /// <summary>
    /// Restart step one: PreRestart on the failed instance (by default stops children and runs PostStop),
    /// cancel timers, then wait for the stopping children before building the new instance, so the
    /// new one never races its predecessor's children for the same files.
    /// </summary>
    private void FaultRecreate(Exception cause)
    {
        if (_state != CellState.Alive)
            return;
        if (!_failed)
        {
            // A survivor restarted along with its parent, or an all-for-one sibling: not suspended yet.
            _failed = true;
            _mailbox.Suspend();
        }

        if (_actor is { } failedActor)
        {
            try
            {
                failedActor.AroundPreRestart(cause, _failedMessage);
            }
            catch (Exception ex)
            {
                Log.LogError(ex, "{Path}: PreRestart threw", SelfRef.Path);
            }
        }

        _actor = null;
        _behavior = null;
        _timers?.CancelAll();
        _stash?.UnstashAllForRestart();

        if (AnyChildStopping)
            _pendingRecreate = cause;
        else
            FinishRecreate(cause);
    }

    /// <summary>Restart step two: a fresh instance from Props, PostRestart (PreStart by default), survivors restarted.</summary>
    private void FinishRecreate(Exception cause)
    {
        _pendingRecreate = null;
        try
        {
            _actor = NewActor();
            _actor.AroundPostRestart(cause);
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(new ActorInitializationException(SelfRef, $"{SelfRef.Path}: failed to restart", ex));
            return;
        }

        _failed = false;
        _failedMessage = null;
        _mailbox.Resume();
        foreach (var survivor in LiveChildInfos())
            survivor.Ref.SendSystemMessage(new Recreate(cause));
    }
}
