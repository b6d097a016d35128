using System.Globalization;

namespace Broker.Protocol.Tests.Messages;

/// <summary>Parses the version strings the generator leaves in [KafkaField] ("3+", "0-4", "7", "none").</summary>
internal static class SpecVersions
{
    public static bool Contains(string? range, short version)
    {
        if (string.IsNullOrEmpty(range) || range == "none")
        {
            return false;
        }
        if (range.EndsWith('+'))
        {
            return version >= short.Parse(range[..^1], CultureInfo.InvariantCulture);
        }
        var dash = range.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            return version >= short.Parse(range[..dash], CultureInfo.InvariantCulture)
                && version <= short.Parse(range[(dash + 1)..], CultureInfo.InvariantCulture);
        }
        return version == short.Parse(range, CultureInfo.InvariantCulture);
    }
}
