using Microsoft.Extensions.Configuration;

namespace Broker.Host.Configuration.Hocon;

/// <summary>Parses, overrides, resolves and flattens a HOCON document into configuration key/values.</summary>
public sealed class HoconConfigurationProvider(HoconConfigurationSource source) : ConfigurationProvider
{
    public override void Load()
    {
        HoconObject root;
        if (source.Path is { } path)
        {
            root = source.Optional && !File.Exists(path) ? new HoconObject(path) : HoconParser.ParseFile(path);
        }
        else if (source.Text is { } text)
        {
            root = HoconParser.Parse(text);
        }
        else
        {
            root = new HoconObject("(empty)");
        }

        foreach (var (key, value) in source.Overrides)
        {
            ApplyOverride(root, key, value);
        }

        HoconResolver.Resolve(root, source.Environment);
        Data = Flatten(root);
    }

    /// <summary>Sets <paramref name="dottedKey"/> to a literal string, replacing objects, arrays or values on the way.</summary>
    internal static void ApplyOverride(HoconObject root, string dottedKey, string value)
    {
        var origin = $"--set {dottedKey}";
        var elements = HoconResolver.SplitPath(dottedKey);
        var obj = root;
        for (var i = 0; i < elements.Count - 1; i++)
        {
            if (!obj.TryGet(elements[i], out var next) || next is not HoconObject child)
            {
                child = new HoconObject(origin);
                obj.Set(elements[i], child);
            }

            obj = child;
        }

        obj.Set(elements[^1], new HoconScalar(value, origin));
    }

    /// <summary>Resolved tree to configuration data: objects nest with ':', arrays use indexes.</summary>
    internal static Dictionary<string, string?> Flatten(HoconObject root)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        FlattenInto(data, root, "");
        return data;
    }

    private static void FlattenInto(Dictionary<string, string?> data, HoconValue value, string path)
    {
        switch (value)
        {
            case HoconObject obj:
                if (obj.Count == 0 && path.Length > 0)
                {
                    data[path] = null;
                }

                foreach (var key in obj.Keys)
                {
                    obj.TryGet(key, out var child);
                    FlattenInto(data, child!, path.Length == 0 ? key : ConfigurationPath.Combine(path, key));
                }

                break;
            case HoconArray array:
                if (array.Items.Count == 0)
                {
                    // An empty list, which a null (unset) could not express.
                    data[path] = "";
                }

                for (var i = 0; i < array.Items.Count; i++)
                {
                    FlattenInto(data, array.Items[i], ConfigurationPath.Combine(path, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }

                break;
            case HoconScalar scalar:
                data[path] = scalar.Value;
                break;
            default:
                throw new HoconException(value.Origin, "unresolved value after resolution");
        }
    }
}
