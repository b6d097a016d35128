using System.Runtime.CompilerServices;

namespace Broker.Actors.Tests.TestKit;

/// <summary>
/// TestKit probes block the test thread (ExpectMsg waits on an event) while actors run on the
/// thread pool. With xunit running test classes in parallel on a 2-core machine, the pool can be
/// starved of threads and grow only slowly, so actors would not run before a probe times out.
/// </summary>
internal static class ThreadPoolWarmup
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
