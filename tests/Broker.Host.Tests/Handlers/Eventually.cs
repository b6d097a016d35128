using System.Diagnostics;

namespace Broker.Host.Tests.Handlers;

/// <summary>Polls a condition that another actor makes true, with a generous deadline (no sleep-as-assertion).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(deadline.Elapsed < limit, $"timed out after {limit.TotalSeconds}s waiting until {what}");
            await Task.Delay(20);
        }
    }
}
