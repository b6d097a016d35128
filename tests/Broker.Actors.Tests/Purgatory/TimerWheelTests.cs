using Broker.Actors.Purgatory;

namespace Broker.Actors.Tests.Purgatory;

public sealed class TimerWheelTests
{
    private sealed class Op(TimeSpan timeout) : DelayedOperation(timeout)
    {
        public TaskCompletionSource Expired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool TryComplete() => false;

        protected override void OnComplete()
        {
        }

        protected override void OnExpiration() => Expired.TrySetResult();
    }

    [Fact]
    public async Task Deadlines_beyond_one_revolution_wait_for_their_own_tick()
    {
        // 8 buckets of 5 ms: a 200 ms timeout goes round the wheel five times before it is due.
        using var wheel = new TimerWheel(TimeSpan.FromMilliseconds(5), wheelSize: 8);
        var started = DateTime.UtcNow;
        var shortOp = new Op(TimeSpan.FromMilliseconds(20));
        var longOp = new Op(TimeSpan.FromMilliseconds(200));
        wheel.Add(shortOp);
        wheel.Add(longOp);

        await shortOp.Expired.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await longOp.Expired.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(195));
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Completing_an_operation_unlinks_it_from_the_wheel()
    {
        using var wheel = new TimerWheel();
        var ops = Enumerable.Range(0, 100).Select(_ => new Op(TimeSpan.FromMinutes(10))).ToList();
        ops.ForEach(wheel.Add);
        Assert.Equal(100, wheel.Count);
        foreach (var op in ops.Where((_, i) => i % 2 == 0))
        {
            Assert.True(op.ForceComplete());
        }
        Assert.Equal(50, wheel.Count);
        Assert.All(ops, o => Assert.False(o.Expired.Task.IsCompleted));
    }

    [Fact]
    public async Task A_zero_timeout_expires_at_once_or_on_the_next_tick()
    {
        using var wheel = new TimerWheel(TimeSpan.FromMilliseconds(5));
        var op = new Op(TimeSpan.Zero);
        wheel.Add(op);
        await op.Expired.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(op.IsCompleted);
    }
}
