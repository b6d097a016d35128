using System.Runtime.CompilerServices;

namespace Broker.Compat.Tests.Harness;

/// <summary>
/// ReplicatedProduceTests runs three whole broker nodes in this process (actors, fetchers, listeners on the thread
/// pool) while other test classes wait on client processes. On a loaded 2-core machine the pool starts with 2
/// threads and grows slowly, so a few blocked threads stall every in-process node at once (heartbeats and
/// fetches time out together). As in Broker.Actors.Tests' TestKit and Broker.Host.Tests.
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
