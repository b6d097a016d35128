using Broker.Actors.Configs;
using Microsoft.Extensions.Configuration;

namespace Broker.Host.Configuration;

/// <summary>
/// Reads Kafka-named keys out of an <see cref="IConfiguration"/> (where <c>log.dirs</c> lives at
/// <c>log:dirs</c>) into the string form <see cref="ConfigDef"/> parses. Arrays become Kafka's
/// comma-separated lists. Keys under a known first segment (<c>log.</c>, <c>socket.</c>, ...) that
/// are not defined are kept so validation reports them as unknown (a typo must not be silently
/// ignored); other keys are returned as ignored, for a warning.
/// </summary>
public static class BrokerConfigReader
{
    public static Dictionary<string, string?> Read(IConfiguration configuration, ConfigDef definition, out IReadOnlyList<string> ignoredKeys)
    {
        var raw = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in definition.Keys)
        {
            var section = configuration.GetSection(key.Name.Replace('.', ':'));
            var children = section.GetChildren().ToList();
            if (children.Count == 0)
            {
                if (section.Value is { } v)
                {
                    raw[key.Name] = v;
                }

                continue;
            }

            if (key.Type != ConfigType.List || !children.TrueForAll(c => int.TryParse(c.Key, out _) && !c.GetChildren().Any()))
            {
                throw new ConfigException(key.Name, key.Type == ConfigType.List
                    ? "expected a list of strings, found an object or nested array"
                    : "expected a single value, found an object or array");
            }

            raw[key.Name] = string.Join(",", children.OrderBy(c => int.Parse(c.Key, System.Globalization.CultureInfo.InvariantCulture)).Select(c => c.Value ?? ""));
        }

        var known = new HashSet<string>(definition.Keys.Select(k => k.Name), StringComparer.OrdinalIgnoreCase);
        var knownFirstSegments = new HashSet<string>(definition.Keys.Select(k => k.Name.Split('.')[0]), StringComparer.OrdinalIgnoreCase);
        var ignored = new List<string>();
        foreach (var (path, value) in configuration.AsEnumerable())
        {
            var section = configuration.GetSection(path);
            if (value is null && section.GetChildren().Any())
            {
                continue;
            }

            var dotted = path.Replace(':', '.');
            if (IsKnown(dotted, known, definition))
            {
                continue;
            }

            if (knownFirstSegments.Contains(dotted.Split('.')[0]))
            {
                raw.TryAdd(dotted, value ?? "");
            }
            else
            {
                ignored.Add(dotted);
            }
        }

        ignored.Sort(StringComparer.Ordinal);
        ignoredKeys = ignored;
        return raw;
    }

    private static bool IsKnown(string dotted, HashSet<string> known, ConfigDef definition)
    {
        if (known.Contains(dotted))
        {
            return true;
        }

        // An array element of a list key: process.roles.0
        var lastDot = dotted.LastIndexOf('.');
        return lastDot > 0
            && int.TryParse(dotted.AsSpan(lastDot + 1), out _)
            && definition.TryGetKey(dotted[..lastDot], out var key)
            && key.Type == ConfigType.List;
    }
}
