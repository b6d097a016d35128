using System.Text;
using System.Text.Json;
using Broker.Actors.Configs;

namespace Broker.Host.Configuration;

/// <summary>
/// Writes effective values as HOCON that reads back to the same values (<c>--print-config</c>): one
/// <c>key = value</c> line per key in definition order, defaulted keys marked <c># default</c>.
/// </summary>
public static class EffectiveConfigPrinter
{
    public static string Print(ConfigValues values)
    {
        var sb = new StringBuilder();
        sb.Append("# effective configuration; keys are Kafka's, durations in ms, sizes in bytes\n");
        foreach (var key in values.Definition.Keys)
        {
            sb.Append(key.Name).Append(" = ").Append(ToHocon(values[key.Name]));
            if (!values.IsSet(key.Name))
            {
                sb.Append("  # default");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>A typed value as a HOCON literal: strings quoted, lists as arrays, numbers bare.</summary>
    public static string ToHocon(object? value) => value switch
    {
        null => "null",
        string s => JsonSerializer.Serialize(s),
        IReadOnlyList<string> list => "[" + string.Join(", ", list.Select(i => JsonSerializer.Serialize(i))) + "]",
        _ => ConfigDef.Format(value)!,
    };

    /// <summary>
    /// The text of <c>hocon/reference.conf</c>: every key with its documentation line and default
    /// (durations and sizes in the largest exact unit). A test keeps the file equal to this.
    /// </summary>
    public static string PrintReference(ConfigDef definition)
    {
        var sb = new StringBuilder();
        sb.Append("# AkkaBroker reference configuration: every broker key with its default.\n");
        sb.Append("# Keys are Kafka's own names (server.properties); dotted keys nest, so this is plain HOCON.\n");
        sb.Append("# Durations accept units (500ms, 10s, 1h, 7d) and sizes too (64KiB, 100MiB, 1GiB; kB/MB/GB are powers of 10).\n");
        sb.Append("# Generated from BrokerConfigs; update with AKKABROKER_UPDATE_REFERENCE=1 and the ReferenceConf test.\n");
        foreach (var key in definition.Keys)
        {
            sb.Append('\n').Append("# ").Append(key.Documentation);
            if (key.Validator is { } v)
            {
                sb.Append(" Valid: ").Append(v);
            }

            sb.Append('\n');
            if (!key.HasDefault)
            {
                sb.Append("# ").Append(key.Name).Append(" = (required, no default)\n");
                continue;
            }

            sb.Append(key.Name).Append(" = ").Append(key.Type switch
            {
                ConfigType.Duration when key.DefaultValue is long ms => FormatDuration(ms),
                ConfigType.Size when key.DefaultValue is long bytes => FormatSize(bytes),
                _ => ToHocon(key.DefaultValue),
            }).Append('\n');
        }

        return sb.ToString();
    }

    private static string FormatDuration(long ms)
    {
        if (ms <= 0 || ms == long.MaxValue)
        {
            return ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (unit, factor) in new[] { ("d", 86_400_000L), ("h", 3_600_000L), ("m", 60_000L), ("s", 1000L) })
        {
            if (ms % factor == 0)
            {
                return (ms / factor).ToString(System.Globalization.CultureInfo.InvariantCulture) + unit;
            }
        }

        return ms.ToString(System.Globalization.CultureInfo.InvariantCulture) + "ms";
    }

    private static string FormatSize(long bytes)
    {
        if (bytes <= 0)
        {
            return bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (unit, factor) in new[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10) })
        {
            if (bytes % factor == 0)
            {
                return (bytes / factor).ToString(System.Globalization.CultureInfo.InvariantCulture) + unit;
            }
        }

        return bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
