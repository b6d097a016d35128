using System.Globalization;

namespace Broker.Protocol.Generator.Spec;

/// <summary>
/// A contiguous range of versions as the specs write them: "3+", "0-4", "7", "none".
/// <see cref="High"/> is short.MaxValue for open ranges.
/// </summary>
public readonly record struct VersionRange(short Low, short High)
{
    public static readonly VersionRange None = new(1, 0);
    public static readonly VersionRange All = new(0, short.MaxValue);

    public bool IsEmpty => Low > High;
    public bool IsOpen => High == short.MaxValue;

    public static VersionRange Parse(string? text, VersionRange fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        text = text.Trim();
        if (text == "none")
        {
            return None;
        }
        if (text.EndsWith('+'))
        {
            return new(short.Parse(text[..^1], CultureInfo.InvariantCulture), short.MaxValue);
        }
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            return new(short.Parse(text[..dash], CultureInfo.InvariantCulture), short.Parse(text[(dash + 1)..], CultureInfo.InvariantCulture));
        }
        var v = short.Parse(text, CultureInfo.InvariantCulture);
        return new(v, v);
    }

    public VersionRange Intersect(VersionRange other)
    {
        if (IsEmpty || other.IsEmpty)
        {
            return None;
        }
        var r = new VersionRange(Math.Max(Low, other.Low), Math.Min(High, other.High));
        return r.IsEmpty ? None : r;
    }

    public bool Contains(short v) => !IsEmpty && v >= Low && v <= High;

    /// <summary>True when every version of <paramref name="other"/> is in this range.</summary>
    public bool Covers(VersionRange other) => other.IsEmpty || (!IsEmpty && Low <= other.Low && High >= other.High);

    /// <summary>
    /// A C# condition on <c>version</c> that is true exactly for the versions of this range,
    /// assuming <c>version</c> is already known to lie in <paramref name="within"/>.
    /// Returns "true" or "false" when the answer does not depend on the version.
    /// </summary>
    public string Condition(VersionRange within)
    {
        var r = Intersect(within);
        if (r.IsEmpty)
        {
            return "false";
        }
        if (Covers(within))
        {
            return "true";
        }
        var parts = new List<string>(2);
        if (r.Low > within.Low)
        {
            parts.Add(r.Low == r.High ? $"version == {r.Low}" : $"version >= {r.Low}");
        }
        if (r.High < within.High && r.Low != r.High)
        {
            parts.Add($"version <= {r.High}");
        }
        else if (r.High < within.High && parts.Count == 0)
        {
            parts.Add($"version <= {r.High}");
        }
        return string.Join(" && ", parts);
    }

    public override string ToString() =>
        IsEmpty ? "none" : IsOpen ? $"{Low}+" : Low == High ? $"{Low}" : $"{Low}-{High}";
}
