using System.Text;

namespace Broker.Host.Configuration.Hocon;

/// <summary>
/// Resolves substitutions in place once the whole document is parsed (HOCON resolves against the
/// final merged root, so a later override is seen by an earlier <c>${path}</c>). A path missing from
/// the config is looked up as an environment variable; <c>${?x}</c> that is still missing leaves the
/// field unset (or at its previous value). Cycles are errors naming where the substitution is.
/// </summary>
internal sealed class HoconResolver
{
    private readonly HoconObject _root;
    private readonly Func<string, string?> _environment;
    private readonly HashSet<string> _resolvingFields = new(StringComparer.Ordinal);
    private readonly HashSet<HoconValue> _objectsInProgress = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<HoconValue> _resolved = new(ReferenceEqualityComparer.Instance);

    private HoconResolver(HoconObject root, Func<string, string?> environment)
    {
        _root = root;
        _environment = environment;
    }

    /// <summary>Resolves every substitution under <paramref name="root"/>; afterwards only objects, arrays and scalars remain.</summary>
    public static void Resolve(HoconObject root, Func<string, string?>? environment = null)
        => new HoconResolver(root, environment ?? Environment.GetEnvironmentVariable).ResolveObject(root, "");

    private void ResolveObject(HoconObject obj, string path)
    {
        if (_resolved.Contains(obj) || !_objectsInProgress.Add(obj))
        {
            return;
        }

        foreach (var key in obj.Keys.ToArray())
        {
            ResolveField(obj, key, Join(path, HoconParser.QuoteIfNeeded(key)));
        }

        _objectsInProgress.Remove(obj);
        _resolved.Add(obj);
    }

    private HoconValue? ResolveField(HoconObject obj, string key, string fieldPath)
    {
        if (!obj.TryGet(key, out var value))
        {
            return null;
        }

        switch (value)
        {
            case HoconObject o:
                ResolveObject(o, fieldPath);
                return o;
            case HoconScalar:
                return value;
            default:
                if (_resolved.Contains(value))
                {
                    return value;
                }

                break;
        }

        if (!_resolvingFields.Add(fieldPath))
        {
            throw new HoconException(value.Origin, $"substitution cycle through '{fieldPath}'");
        }

        try
        {
            // An undefined optional substitution keeps whatever the field held before it.
            HoconValue? resolved = null;
            for (var v = value; v is not null && resolved is null; v = v.Previous)
            {
                resolved = ResolveValue(v, fieldPath, v.Previous);
            }

            if (resolved is null)
            {
                obj.Remove(key);
            }
            else
            {
                obj.Set(key, resolved);
            }

            return resolved;
        }
        finally
        {
            _resolvingFields.Remove(fieldPath);
        }
    }

    /// <summary>The resolved value, or null when it is undefined (an optional substitution with nothing behind it).</summary>
    private HoconValue? ResolveValue(HoconValue value, string fieldPath, HoconValue? previous)
    {
        switch (value)
        {
            case HoconScalar:
                return value;
            case HoconObject o:
                ResolveObject(o, fieldPath);
                return o;
            case HoconArray a:
                if (_resolved.Add(a))
                {
                    for (var i = a.Items.Count - 1; i >= 0; i--)
                    {
                        var item = ResolveValue(a.Items[i], fieldPath + "[]", null);
                        if (item is null)
                        {
                            a.Items.RemoveAt(i);
                        }
                        else
                        {
                            a.Items[i] = item;
                        }
                    }
                }

                return a;
            case HoconSubstitution s:
                return ResolveSubstitution(s, fieldPath, previous);
            case HoconConcatenation c:
                return Concatenate(c, fieldPath, previous);
            case HoconDeferredMerge m:
                var older = ResolveValue(m.Older, fieldPath, m.Older.Previous);
                var newer = (HoconObject)ResolveValue(m.Newer, fieldPath, null)!;
                return older is HoconObject olderObject ? Merge(olderObject, newer) : newer;
            default:
                throw new HoconException(value.Origin, $"unexpected value {value.GetType().Name}");
        }
    }

    private HoconValue? ResolveSubstitution(HoconSubstitution s, string fieldPath, HoconValue? previous)
    {
        HoconValue? target;
        if (s.Path == fieldPath)
        {
            // Self-reference: path = ${path}":/more" sees the value before this assignment.
            target = previous is null ? null : ResolveValue(previous, fieldPath, previous.Previous);
        }
        else
        {
            target = Lookup(s);
        }

        if (target is null && _environment(s.Path) is { } env)
        {
            target = new HoconScalar(env, s.Origin);
        }

        if (target is null && !s.Optional)
        {
            throw new HoconException(s.Origin, $"could not resolve substitution {s} (not in the config nor the environment)");
        }

        return target;
    }

    private HoconValue? Lookup(HoconSubstitution s)
    {
        var elements = SplitPath(s.Path);
        HoconValue current = _root;
        var path = "";
        foreach (var element in elements)
        {
            if (current is not HoconObject obj || !obj.TryGet(element, out var next))
            {
                return null;
            }

            path = Join(path, HoconParser.QuoteIfNeeded(element));
            if (next is not HoconObject)
            {
                next = ResolveField(obj, element, path);
                if (next is null)
                {
                    return null;
                }
            }

            current = next;
        }

        if (current is HoconObject target)
        {
            if (_objectsInProgress.Contains(target))
            {
                throw new HoconException(s.Origin, $"substitution {s} refers to an object that contains it");
            }

            ResolveObject(target, path);
        }

        return current;
    }

    private HoconValue? Concatenate(HoconConcatenation c, string fieldPath, HoconValue? previous)
    {
        var parts = new List<HoconValue>(c.Parts.Count);
        foreach (var part in c.Parts)
        {
            if (ResolveValue(part, fieldPath, previous) is { } r)
            {
                parts.Add(r);
            }
        }

        var solid = parts.Where(p => p is not HoconScalar { IsWhitespace: true }).ToList();
        if (solid.Count == 0)
        {
            return null;
        }

        if (solid.TrueForAll(p => p is HoconObject))
        {
            var merged = ((HoconObject)solid[0]).DeepClone();
            for (var i = 1; i < solid.Count; i++)
            {
                merged = Merge(merged, (HoconObject)solid[i]);
            }

            return merged;
        }

        if (solid.TrueForAll(p => p is HoconArray))
        {
            var items = solid.SelectMany(p => ((HoconArray)p).Items).ToList();
            var array = new HoconArray(items, c.Origin);
            _resolved.Add(array);
            return array;
        }

        var sb = new StringBuilder();
        foreach (var p in parts)
        {
            if (p is not HoconScalar scalar)
            {
                throw new HoconException(c.Origin, "cannot concatenate an object or array with a string");
            }

            sb.Append(scalar.Value ?? "null");
        }

        return new HoconScalar(sb.ToString(), c.Origin);
    }

    private HoconObject Merge(HoconObject older, HoconObject newer)
    {
        var merged = older.DeepClone();
        merged.MergeFrom(newer.DeepClone());
        _resolved.Add(merged);
        MarkResolved(merged);
        return merged;
    }

    private void MarkResolved(HoconObject obj)
    {
        _resolved.Add(obj);
        foreach (var key in obj.Keys)
        {
            if (obj.TryGet(key, out var v) && v is HoconObject child)
            {
                MarkResolved(child);
            }
        }
    }

    /// <summary>Splits a dotted path, honouring quoted elements (<c>a."b.c"</c>).</summary>
    internal static List<string> SplitPath(string path)
    {
        var result = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\\' && quoted && i + 1 < path.Length)
            {
                sb.Append(path[++i]);
            }
            else if (c == '.' && !quoted)
            {
                result.Add(sb.ToString());
                sb.Clear();
            }
            else
            {
                sb.Append(c);
            }
        }

        result.Add(sb.ToString());
        return result;
    }

    private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;
}
