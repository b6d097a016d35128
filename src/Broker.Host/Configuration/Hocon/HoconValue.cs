namespace Broker.Host.Configuration.Hocon;

/// <summary>
/// A node of a parsed HOCON document. Parsing produces objects, arrays and scalars plus three
/// unresolved forms (substitution, concatenation, deferred merge) that <see cref="HoconResolver"/>
/// replaces once the whole document, includes and overrides are known.
/// </summary>
internal abstract class HoconValue
{
    protected HoconValue(string origin) => Origin = origin;

    /// <summary><c>file:line:column</c> where the value starts, for error messages.</summary>
    public string Origin { get; }

    /// <summary>
    /// The value this one replaced at the same field, so a self-referential substitution
    /// (<c>path = ${path}":/extra"</c>, <c>a += x</c>) and an undefined optional one
    /// (<c>a = ${?NOPE}</c>, which keeps the old value) can see it.
    /// </summary>
    public HoconValue? Previous { get; set; }
}

/// <summary>A string, number, boolean or null (<see cref="Value"/> is null), kept as text.</summary>
internal sealed class HoconScalar(string? value, string origin, bool isWhitespace = false) : HoconValue(origin)
{
    public string? Value { get; } = value;

    /// <summary>Whitespace between the parts of a concatenation: kept in strings, dropped between objects and arrays.</summary>
    public bool IsWhitespace { get; } = isWhitespace;

    public override string ToString() => Value ?? "null";
}

/// <summary>An array; items are resolved in place.</summary>
internal sealed class HoconArray(List<HoconValue> items, string origin) : HoconValue(origin)
{
    public List<HoconValue> Items { get; } = items;
}

/// <summary><c>${path}</c> or <c>${?path}</c>.</summary>
internal sealed class HoconSubstitution(string path, bool optional, string origin) : HoconValue(origin)
{
    /// <summary>The dotted path as written (also the environment variable name to try).</summary>
    public string Path { get; } = path;

    public bool Optional { get; } = optional;

    public override string ToString() => Optional ? $"${{?{Path}}}" : $"${{{Path}}}";
}

/// <summary>Adjacent values on one line: <c>foo bar</c>, <c>${dir}/data</c>, <c>[1] [2]</c>, <c>${base} { x = 1 }</c>.</summary>
internal sealed class HoconConcatenation(List<HoconValue> parts, string origin) : HoconValue(origin)
{
    public List<HoconValue> Parts { get; } = parts;
}

/// <summary>An object assigned over an unresolved value: merged if that value turns out to be an object.</summary>
internal sealed class HoconDeferredMerge(HoconValue older, HoconObject newer) : HoconValue(newer.Origin)
{
    public HoconValue Older { get; } = older;

    public HoconObject Newer { get; } = newer;
}
