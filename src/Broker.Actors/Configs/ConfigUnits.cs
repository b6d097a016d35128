using System.Globalization;

namespace Broker.Actors.Configs;

/// <summary>
/// Parses durations (<c>10s</c>, <c>500ms</c>, <c>7d</c>, <c>1h</c>) to milliseconds and sizes
/// (<c>100MiB</c>, <c>1GiB</c>, <c>64KB</c>) to bytes, with HOCON's unit names. A bare number is
/// already in the key's unit (ms or bytes) because Kafka's keys say so (<c>log.roll.ms</c>).
/// Decimal prefixes (kB, MB, GB, TB) are powers of ten; K, Ki, KiB, M, MiB, ... are powers of two.
/// Fractions are allowed and truncated toward zero (<c>1.5s</c> is 1500 ms).
/// </summary>
public static class ConfigUnits
{
    private static readonly Dictionary<string, decimal> DurationUnits = BuildDurationUnits();
    private static readonly Dictionary<string, decimal> SizeUnits = BuildSizeUnits();

    /// <summary>Parses a duration to whole milliseconds; <c>null</c> with a reason when it is not one.</summary>
    public static bool TryParseDurationMs(string text, out long milliseconds, out string? error)
        => TryParse(text, DurationUnits, "duration", "ms, s, m, h, d", out milliseconds, out error);

    /// <summary>Parses a size to whole bytes; <c>null</c> with a reason when it is not one.</summary>
    public static bool TryParseSizeBytes(string text, out long bytes, out string? error)
        => TryParse(text, SizeUnits, "size", "B, KiB, MiB, GiB, TiB, kB, MB, GB, TB", out bytes, out error);

    private static bool TryParse(
        string text, Dictionary<string, decimal> units, string what, string unitList, out long result, out string? error)
    {
        result = 0;
        var s = text.Trim();
        var i = 0;
        if (i < s.Length && (s[i] == '-' || s[i] == '+'))
        {
            i++;
        }

        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
        {
            i++;
        }

        var numberPart = s[..i];
        var unitPart = s[i..].Trim();
        if (!decimal.TryParse(numberPart, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
                CultureInfo.InvariantCulture, out var number))
        {
            error = $"expected a {what} (a number with an optional unit: {unitList}), got '{text}'";
            return false;
        }

        var factor = 1m;
        if (unitPart.Length > 0 && !units.TryGetValue(unitPart, out factor))
        {
            error = $"unknown {what} unit '{unitPart}' in '{text}' (known: {unitList})";
            return false;
        }

        decimal value;
        try
        {
            value = decimal.Truncate(number * factor);
        }
        catch (OverflowException)
        {
            error = $"{what} '{text}' is too large";
            return false;
        }

        if (value > long.MaxValue || value < long.MinValue)
        {
            error = $"{what} '{text}' is too large";
            return false;
        }

        result = (long)value;
        error = null;
        return true;
    }

    private static Dictionary<string, decimal> BuildDurationUnits()
    {
        // Factors convert to milliseconds.
        var d = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Add(decimal factor, params string[] names)
        {
            foreach (var n in names)
            {
                d[n] = factor;
            }
        }

        Add(0.000001m, "ns", "nano", "nanos", "nanosecond", "nanoseconds");
        Add(0.001m, "us", "micro", "micros", "microsecond", "microseconds");
        Add(1m, "ms", "milli", "millis", "millisecond", "milliseconds");
        Add(1000m, "s", "second", "seconds");
        Add(60_000m, "m", "minute", "minutes");
        Add(3_600_000m, "h", "hour", "hours");
        Add(86_400_000m, "d", "day", "days");
        return d;
    }

    private static Dictionary<string, decimal> BuildSizeUnits()
    {
        // Case-insensitive: "m" and "M" are both mebibytes, "mb" and "MB" both megabytes.
        var d = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
        void Add(decimal factor, params string[] names)
        {
            foreach (var n in names)
            {
                d[n] = factor;
            }
        }

        Add(1m, "b", "byte", "bytes");
        Add(1000m, "kb", "kilobyte", "kilobytes");
        Add(1000_000m, "mb", "megabyte", "megabytes");
        Add(1000_000_000m, "gb", "gigabyte", "gigabytes");
        Add(1000_000_000_000m, "tb", "terabyte", "terabytes");
        Add(1024m, "k", "ki", "kib", "kibibyte", "kibibytes");
        Add(1024m * 1024, "m", "mi", "mib", "mebibyte", "mebibytes");
        Add(1024m * 1024 * 1024, "g", "gi", "gib", "gibibyte", "gibibytes");
        Add(1024m * 1024 * 1024 * 1024, "t", "ti", "tib", "tebibyte", "tebibytes");
        return d;
    }
}
