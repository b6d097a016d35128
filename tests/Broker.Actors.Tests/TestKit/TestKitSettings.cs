using System.Globalization;

namespace Broker.Actors.Tests.TestKit;

/// <summary>
/// Timeouts for expectations. Generous by default (3 s) because 2 shared cores under a parallel test
/// run can stall a thread for a long time; <c>BROKER_TEST_TIMEFACTOR</c> scales them further on slow CI.
/// </summary>
public static class TestKitSettings
{
    /// <summary>Multiplier from the <c>BROKER_TEST_TIMEFACTOR</c> environment variable (default 1).</summary>
    public static double TimeFactor { get; } = ReadFactor();

    /// <summary>Default wait for ExpectMsg and friends.</summary>
    public static TimeSpan DefaultTimeout => Dilated(TimeSpan.FromSeconds(3));

    /// <summary>Scales a duration by <see cref="TimeFactor"/>.</summary>
    public static TimeSpan Dilated(TimeSpan duration) => duration * TimeFactor;

    private static double ReadFactor()
    {
        var text = Environment.GetEnvironmentVariable("BROKER_TEST_TIMEFACTOR");
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var factor) && factor > 0 ? factor : 1.0;
    }
}
