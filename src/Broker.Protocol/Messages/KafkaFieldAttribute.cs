namespace Broker.Protocol.Messages;

/// <summary>
/// The spec's version facts for a generated property ("3+", "0-4", "none"), kept as metadata so a
/// reader of the generated code sees them and tests can build valid random messages by reflection.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class KafkaFieldAttribute(string versions) : Attribute
{
    public string Versions { get; } = versions;
    public string? Nullable { get; init; }
    public string? Tagged { get; init; }
    public int Tag { get; init; } = -1;
    public bool Ignorable { get; init; }
}
