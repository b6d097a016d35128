namespace Broker.Host.Configuration.Hocon;

/// <summary>An object: fields in the order they were first set, merged by HOCON's rules.</summary>
internal sealed class HoconObject(string origin) : HoconValue(origin)
{
    private readonly Dictionary<string, HoconValue> _fields = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public IReadOnlyList<string> Keys => _order;

    public int Count => _order.Count;

    public bool TryGet(string key, out HoconValue value) => _fields.TryGetValue(key, out value!);

    /// <summary>Replaces a field's value (no merging), keeping its position.</summary>
    public void Set(string key, HoconValue value)
    {
        if (!_fields.ContainsKey(key))
        {
            _order.Add(key);
        }

        _fields[key] = value;
    }

    public void Remove(string key)
    {
        if (_fields.Remove(key))
        {
            _order.Remove(key);
        }
    }

    /// <summary>
    /// Assigns a field as a HOCON document does: an object over an object merges (the newer wins per
    /// field, recursively); an object over an unresolved value merges later; anything else replaces,
    /// remembering the replaced value for self-references.
    /// </summary>
    public void Assign(string key, HoconValue value)
    {
        if (!_fields.TryGetValue(key, out var old))
        {
            Set(key, value);
            return;
        }

        if (old is HoconObject oldObject && value is HoconObject newObject)
        {
            oldObject.MergeFrom(newObject);
            return;
        }

        if (value is HoconObject newer && old is HoconSubstitution or HoconConcatenation or HoconDeferredMerge)
        {
            Set(key, new HoconDeferredMerge(old, newer));
            return;
        }

        value.Previous ??= old;
        Set(key, value);
    }

    /// <summary>Assigns every field of <paramref name="other"/> onto this object.</summary>
    public void MergeFrom(HoconObject other)
    {
        foreach (var key in other._order)
        {
            Assign(key, other._fields[key]);
        }
    }

    /// <summary>A copy whose nested objects are copies too (arrays and scalars are shared: they are not mutated after resolution).</summary>
    public HoconObject DeepClone()
    {
        var copy = new HoconObject(Origin);
        foreach (var key in _order)
        {
            var v = _fields[key];
            copy.Set(key, v is HoconObject o ? o.DeepClone() : v);
        }

        return copy;
    }
}
