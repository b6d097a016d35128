namespace Broker.Actors.Kernel;

/// <summary>A child as its parent sees it: the ref, whether a stop is under way, restart bookkeeping.</summary>
internal sealed class ChildInfo(LocalActorRef actorRef)
{
    public LocalActorRef Ref { get; } = actorRef;

    public bool Stopping { get; set; }

    public ChildRestartStats Stats { get; } = new();
}

internal sealed partial class ActorCell
{
    private readonly Lock _childrenLock = new();
    private Dictionary<string, ChildInfo>? _children;
    private int _nextChildId;

    public IReadOnlyList<ActorRef> Children
    {
        get
        {
            lock (_childrenLock)
            {
                if (_children is null || _children.Count == 0)
                    return [];
                var list = new ActorRef[_children.Count];
                var i = 0;
                foreach (var child in _children.Values)
                    list[i++] = child.Ref;
                return list;
            }
        }
    }

    public ActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (name is not null)
            ValidateName(name);
        ActorCell child;
        lock (_childrenLock)
        {
            if (_state != CellState.Alive)
                throw new InvalidOperationException($"{SelfRef.Path} is stopping; it cannot create children");
            _children ??= new Dictionary<string, ChildInfo>(StringComparer.Ordinal);
            name ??= "$" + Base36(++_nextChildId);

            // A stopping child keeps its name until it has terminated, so a re-created actor never
            // overlaps its predecessor (two actors owning one partition's segment files).
            if (_children.ContainsKey(name))
                throw new InvalidActorNameException($"Actor name [{name}] is not unique under {SelfRef.Path}");
            child = new ActorCell(System, props, SelfRef, SelfRef.Path.Child(name));
            _children.Add(name, new ChildInfo(child.SelfRef));
        }

        child.Start();
        return child.SelfRef;
    }

    public ActorRef? Child(string name)
    {
        lock (_childrenLock)
            return _children is not null && _children.TryGetValue(name, out var child) ? child.Ref : null;
    }

    public void Stop(ActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor is LocalActorRef local && local.Cell._parent == SelfRef)
        {
            lock (_childrenLock)
            {
                if (_children is not null && _children.TryGetValue(local.Path.Name, out var info) && info.Ref == local)
                    info.Stopping = true;
            }
        }

        actor.SendSystemMessage(Terminate.Instance);
    }

    internal ChildInfo? FindChild(LocalActorRef child)
    {
        lock (_childrenLock)
        {
            return _children is not null && _children.TryGetValue(child.Path.Name, out var info) && info.Ref == child
                ? info
                : null;
        }
    }

    internal List<ChildInfo> LiveChildInfos()
    {
        lock (_childrenLock)
        {
            var list = new List<ChildInfo>(_children?.Count ?? 0);
            if (_children is not null)
            {
                foreach (var info in _children.Values)
                {
                    if (!info.Stopping)
                        list.Add(info);
                }
            }

            return list;
        }
    }

    private bool HasChildren
    {
        get
        {
            lock (_childrenLock)
                return _children is { Count: > 0 };
        }
    }

    private bool AnyChildStopping
    {
        get
        {
            lock (_childrenLock)
            {
                if (_children is null)
                    return false;
                foreach (var info in _children.Values)
                {
                    if (info.Stopping)
                        return true;
                }

                return false;
            }
        }
    }

    private void RemoveChild(LocalActorRef child)
    {
        lock (_childrenLock)
        {
            if (_children is not null && _children.TryGetValue(child.Path.Name, out var info) && info.Ref == child)
                _children.Remove(child.Path.Name);
        }
    }

    /// <summary>Marks every child stopping and returns them; under the lock with the state change so no child slips in after.</summary>
    private List<LocalActorRef> BeginStoppingChildren(CellState? newState)
    {
        lock (_childrenLock)
        {
            if (newState is { } state)
                _state = state;
            var list = new List<LocalActorRef>(_children?.Count ?? 0);
            if (_children is not null)
            {
                foreach (var info in _children.Values)
                {
                    info.Stopping = true;
                    list.Add(info.Ref);
                }
            }

            return list;
        }
    }

    private static void ValidateName(string name)
    {
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name[0] == '$')
            throw new InvalidActorNameException($"Invalid actor name [{name}]: empty, contains '/' or starts with '$'");
    }

    private static string Base36(int value)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        Span<char> buffer = stackalloc char[8];
        var pos = buffer.Length;
        do
        {
            buffer[--pos] = digits[value % 36];
            value /= 36;
        }
        while (value > 0);
        return new string(buffer[pos..]);
    }
}
