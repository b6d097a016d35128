namespace Broker.Actors.Kernel;

/// <summary>
/// Puts the current message aside until the actor can handle it (e.g. a partition actor still
/// recovering its log). Unstashed messages are processed before anything still in the mailbox.
/// </summary>
public interface IStash
{
    /// <summary>Number of stashed messages.</summary>
    int Count { get; }

    /// <summary>Stashes the message being processed.</summary>
    void Stash();

    /// <summary>Returns the oldest stashed message to the front of the mailbox.</summary>
    void Unstash();

    /// <summary>Returns all stashed messages, in order, to the front of the mailbox.</summary>
    void UnstashAll();
}

internal sealed class Stash(ActorCell cell) : IStash
{
    private readonly List<Envelope> _items = [];

    public int Count => _items.Count;

    void IStash.Stash() => _items.Add(cell.CurrentEnvelope);

    public void Unstash()
    {
        if (_items.Count == 0)
            return;
        var first = _items[0];
        _items.RemoveAt(0);
        cell.PushUnstashed([first]);
    }

    public void UnstashAll()
    {
        if (_items.Count == 0)
            return;
        cell.PushUnstashed(_items);
        _items.Clear();
    }

    /// <summary>On restart the new instance gets the stashed messages back (as in Akka).</summary>
    internal void UnstashAllForRestart() => UnstashAll();

    internal void DropAll()
    {
        foreach (var envelope in _items)
            cell.System.PublishDeadLetter(envelope.Message, envelope.Sender, cell.SelfRef);
        _items.Clear();
    }
}
