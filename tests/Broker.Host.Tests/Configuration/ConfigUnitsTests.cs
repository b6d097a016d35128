using Broker.Actors.Configs;

namespace Broker.Host.Tests.Configuration;

public class ConfigUnitsTests
{
    [Theory]
    [InlineData("500", 500L)]
    [InlineData("500ms", 500L)]
    [InlineData("10s", 10_000L)]
    [InlineData("10 seconds", 10_000L)]
    [InlineData("1m", 60_000L)]
    [InlineData("1h", 3_600_000L)]
    [InlineData("7d", 604_800_000L)]
    [InlineData("1.5s", 1500L)]
    [InlineData("1500us", 1L)]
    [InlineData("-1", -1L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Durations_ToMilliseconds(string text, long expected)
    {
        Assert.True(ConfigUnits.TryParseDurationMs(text, out var ms, out var error), error);
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("64KB", 64_000L)]
    [InlineData("64kB", 64_000L)]
    [InlineData("64KiB", 65_536L)]
    [InlineData("64K", 65_536L)]
    [InlineData("100MiB", 104_857_600L)]
    [InlineData("100 MiB", 104_857_600L)]
    [InlineData("1GiB", 1_073_741_824L)]
    [InlineData("1g", 1_073_741_824L)]
    [InlineData("1GB", 1_000_000_000L)]
    [InlineData("2TiB", 2_199_023_255_552L)]
    [InlineData("-1", -1L)]
    public void Sizes_ToBytes(string text, long expected)
    {
        Assert.True(ConfigUnits.TryParseSizeBytes(text, out var bytes, out var error), error);
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("abc", "expected a duration")]
    [InlineData("10 fortnights", "unknown duration unit 'fortnights'")]
    [InlineData("", "expected a duration")]
    [InlineData("99999999999999999999d", "too large")]
    public void BadDurations_SayWhy(string text, string reason)
    {
        Assert.False(ConfigUnits.TryParseDurationMs(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lots", "expected a size")]
    [InlineData("10 parsecs", "unknown size unit")]
    [InlineData("99999999TiB", "too large")]
    public void BadSizes_SayWhy(string text, string reason)
    {
        Assert.False(ConfigUnits.TryParseSizeBytes(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
