namespace Broker.Actors.Kernel;

/// <summary>
/// The address of an actor in the hierarchy, e.g. <c>akka://broker/user/partition-foo-0</c>.
/// Paths are for humans and logs; identity is the <see cref="ActorRef"/> instance, so a new actor
/// created under a reused name is a different ref with an equal path.
/// </summary>
public sealed class ActorPath : IEquatable<ActorPath>
{
    private string? _text;

    private ActorPath(ActorPath? parent, string name, string address)
    {
        Parent = parent;
        Name = name;
        Address = address;
    }

    /// <summary>The system's address, <c>akka://name</c>.</summary>
    public string Address { get; }

    /// <summary>The last path element; empty for the root.</summary>
    public string Name { get; }

    /// <summary>The parent path; null for the root.</summary>
    public ActorPath? Parent { get; }

    internal static ActorPath Root(string systemName) => new(null, "", "akka://" + systemName);

    /// <summary>The path of a child named <paramref name="name"/>.</summary>
    public ActorPath Child(string name) => new(this, name, Address);

    /// <inheritdoc/>
    public override string ToString() => _text ??= Parent is null
        ? Address + "/"
        : Parent.Parent is null ? Address + "/" + Name : Parent.ToString() + "/" + Name;

    /// <inheritdoc/>
    public bool Equals(ActorPath? other) => other is not null && string.Equals(ToString(), other.ToString(), StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ActorPath);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());
}
