using System.Runtime.CompilerServices;

namespace Broker.Host.Tests;

/// <summary>
/// One test process runs up to three or five whole broker nodes (their actors, Raft members, fetchers and
/// listeners all on the thread pool) for two test classes at a time, and some test code waits synchronously
/// for a request. On a loaded 2-core machine the pool starts with 2 threads and grows slowly, so a blocked
/// pool stalled every node of the process for seconds: a first Raft election took 16 s and heartbeats,
/// fetches and elections timed out together. As in Broker.Actors.Tests' TestKit.
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
