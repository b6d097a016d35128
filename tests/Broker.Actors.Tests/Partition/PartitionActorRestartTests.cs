using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Broker.Actors.Tests.Storage;
using Broker.Protocol.Messages;

namespace Broker.Actors.Tests.Partition;

public sealed class PartitionActorRestartTests : TestKit.TestKit
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "partition-restart-" + Guid.NewGuid().ToString("N"));

    /// <summary>Records append results; can be told to throw, which fails the partition actor mid-message.</summary>
    private sealed class Callback(bool fail) : IAppendCallback
    {
        public TaskCompletionSource<LogAppendInfo> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnAppended(int slot, in LogAppendInfo info)
        {
            Result.TrySetResult(info);
            if (fail)
            {
                throw new InvalidOperationException("injected failure after the append");
            }
        }
    }

    [Fact]
    public async Task A_failure_restarts_the_actor_which_reloads_its_log_from_disk()
    {
        try
        {
            await RunRestartScenario();
        }
        finally
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task RunRestartScenario()
    {
        var tp = new TopicPartition("restart", 0);
        using var logs = LogManager.Startup(new LogManagerConfig { LogDirs = [_dir] });
        var handle = new PartitionHandle(tp, Guid.NewGuid());
        handle.Actor = Sys.ActorOf(PartitionActor.Props(handle, () => logs.GetOrCreateLog(tp), () => logs.ReopenLog(tp)), "p");

        var first = new Callback(fail: false);
        handle.Actor.Tell(new AppendToLog(TestBatches.Build(5), -1, first, 0));
        Assert.Equal(ErrorCode.None, (await first.Result.Task.WaitAsync(TimeSpan.FromSeconds(30))).ErrorCode);
        var before = handle.Log!;

        var failing = new Callback(fail: true);
        handle.Actor.Tell(new AppendToLog(TestBatches.Build(3), -1, failing, 0));
        Assert.Equal(7, (await failing.Result.Task.WaitAsync(TimeSpan.FromSeconds(30))).LastOffset);

        // The supervisor restarts the actor; the new incarnation reopens the log from disk.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((handle.Log is null || ReferenceEquals(handle.Log, before)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        var reloaded = handle.Log;
        Assert.NotNull(reloaded);
        Assert.NotSame(before, reloaded);
        Assert.Equal(8, reloaded!.LogEndOffset);
        Assert.Equal(8, reloaded.HighWatermark);

        // And it keeps serving appends at the right offset.
        var after = new Callback(fail: false);
        handle.Actor.Tell(new AppendToLog(TestBatches.Build(2), -1, after, 0));
        var info = await after.Result.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(8, info.FirstOffset);
        using var read = reloaded.Read(0, 1 << 20, reloaded.HighWatermark);
        Assert.Equal(3, TestBatches.Batches(read.Records.Span).Count);
        // A restart is not a stop: the replica fetcher keeps waiting for this handle's answers.
        Assert.False(handle.Stopped.IsCompleted);

        // A deleted replica's handle says it stopped: what was told to it after is never answered.
        var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        handle.Actor.Tell(new DeletePartition(deleted));
        var unanswered = new Callback(fail: false);
        handle.Actor.Tell(new AppendToLog(TestBatches.Build(1), -1, unanswered, 0));
        await handle.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(handle.Log);
        Assert.False(unanswered.Result.Task.IsCompleted);
    }
}
