using Broker.Host.Handlers;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Handlers;

public sealed class FetchPurgatoryTests
{
    private static FetchRequest Fetch() => new()
    {
        Topics = [new FetchRequest.FetchTopic { Topic = "t", Partitions = [new FetchRequest.FetchPartition { Partition = 0 }] }],
    };

    [Fact]
    public async Task Data_that_arrived_before_the_watch_was_registered_completes_the_fetch_at_once()
    {
        // The append landed between the handler's read and Wait: no wakeup will come for it, so the
        // re-check after registering must complete the fetch instead of leaving it to max.wait.
        var purgatory = new FetchPurgatory();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        purgatory.Wait(Fetch(), TimeSpan.FromMinutes(5), hasNewData: () => true, () => done.TrySetResult());
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, purgatory.Waiting);
    }

    [Fact]
    public async Task Without_new_data_the_fetch_waits_for_its_deadline()
    {
        var purgatory = new FetchPurgatory();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        purgatory.Wait(Fetch(), TimeSpan.FromMilliseconds(300), hasNewData: () => false, () => done.TrySetResult());
        Assert.Equal(1, purgatory.Waiting);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(250), $"completed after {sw.Elapsed}");
        Assert.Equal(0, purgatory.Waiting);
    }
}
