using Broker.Actors.Purgatory;

namespace Broker.Actors.Tests.Purgatory;

public sealed class PurgatoryTests
{
    /// <summary>Completes once its key has seen enough "bytes" (like a DelayedFetch's minBytes).</summary>
    private sealed class TestOperation(TimeSpan timeout, Func<bool> canComplete) : DelayedOperation(timeout)
    {
        private int _completions;
        private int _expirations;
        private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Completions => Volatile.Read(ref _completions);

        public int Expirations => Volatile.Read(ref _expirations);

        /// <summary>True if completed by an event, false if by its timeout.</summary>
        public Task<bool> Done => _done.Task;

        public override bool TryComplete() => canComplete() && ForceComplete();

        protected override void OnComplete()
        {
            Interlocked.Increment(ref _completions);
            // OnExpiration follows for timeouts; decide there.
            if (canComplete())
            {
                _done.TrySetResult(true);
            }
        }

        protected override void OnExpiration()
        {
            Interlocked.Increment(ref _expirations);
            _done.TrySetResult(false);
        }
    }

    [Fact]
    public async Task An_operation_completes_when_an_event_on_its_key_satisfies_it()
    {
        using var purgatory = new DelayedOperationPurgatory<string>("Fetch");
        var ready = false;
        var op = new TestOperation(TimeSpan.FromMinutes(5), () => Volatile.Read(ref ready));

        Assert.False(purgatory.TryCompleteElseWatch(op, ["topic-0"]));
        Assert.Equal(1, purgatory.Delayed);
        Assert.Equal(0, purgatory.CheckAndComplete("topic-0")); // an event that does not satisfy it

        Volatile.Write(ref ready, true);
        Assert.Equal(0, purgatory.CheckAndComplete("topic-1")); // another key: not watched there
        Assert.Equal(1, purgatory.CheckAndComplete("topic-0"));

        Assert.True(await op.Done);
        Assert.Equal(1, op.Completions);
        Assert.Equal(0, op.Expirations);
        Assert.Equal(0, purgatory.Delayed); // the timeout was cancelled at once
        Assert.Equal(0, purgatory.Watched);
    }

    [Fact]
    public void An_operation_that_can_complete_at_once_is_not_watched()
    {
        using var purgatory = new DelayedOperationPurgatory<string>("Produce");
        var op = new TestOperation(TimeSpan.FromMinutes(5), () => true);
        Assert.True(purgatory.TryCompleteElseWatch(op, ["a", "b"]));
        Assert.Equal(1, op.Completions);
        Assert.Equal(0, purgatory.Delayed);
        Assert.Equal(0, purgatory.Watched);
    }

    [Fact]
    public async Task An_operation_expires_after_its_timeout_and_not_before()
    {
        using var purgatory = new DelayedOperationPurgatory<int>("Fetch");
        var started = DateTime.UtcNow;
        var op = new TestOperation(TimeSpan.FromMilliseconds(100), () => false);
        Assert.False(purgatory.TryCompleteElseWatch(op, [1]));

        Assert.False(await op.Done.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(95));
        Assert.Equal(1, op.Completions);
        Assert.Equal(1, op.Expirations);
        Assert.Equal(0, purgatory.Delayed);
        // A late event finds nothing to do.
        Assert.Equal(0, purgatory.CheckAndComplete(1));
        Assert.Equal(0, purgatory.Watched);
    }

    [Fact]
    public async Task An_operation_watched_under_several_keys_completes_once()
    {
        using var purgatory = new DelayedOperationPurgatory<string>("Produce");
        var ready = false;
        var op = new TestOperation(TimeSpan.FromMinutes(5), () => Volatile.Read(ref ready));
        purgatory.TryCompleteElseWatch(op, ["p0", "p1", "p2"]);
        Volatile.Write(ref ready, true);
        var results = await Task.WhenAll(new[] { "p0", "p1", "p2" }.Select(k => Task.Run(() => purgatory.CheckAndComplete(k))));
        Assert.Equal(1, results.Sum());
        Assert.Equal(1, op.Completions);
        Assert.Equal(0, purgatory.Watched);
    }

    [Fact]
    public void Completed_operations_are_purged_from_watch_lists_that_see_no_events()
    {
        using var purgatory = new DelayedOperationPurgatory<int>("Produce", purgeInterval: 10);
        var ready = false;
        var ops = Enumerable.Range(0, 50).Select(_ => new TestOperation(TimeSpan.FromMinutes(5), () => Volatile.Read(ref ready))).ToList();
        foreach (var op in ops)
        {
            // Watched under an idle key too, which will never see an event.
            purgatory.TryCompleteElseWatch(op, [1, 2]);
        }
        Volatile.Write(ref ready, true);
        Assert.Equal(50, purgatory.CheckAndComplete(1));
        Assert.Equal(50, purgatory.Watched); // still listed under key 2
        Assert.Equal(50, purgatory.PurgeCompleted());
        Assert.Equal(0, purgatory.Watched);
    }

    [Fact]
    public async Task Many_concurrent_operations_each_complete_exactly_once()
    {
        using var timer = new TimerWheel(TimeSpan.FromMilliseconds(5));
        using var purgatory = new DelayedOperationPurgatory<int>("Fetch", timer, purgeInterval: 100);
        const int keys = 64;
        const int perProducer = 2_500;
        const int producers = 4;
        var available = new long[keys]; // "bytes appended" per partition
        var ops = new TestOperation[producers * perProducer];

        var random = new Random(7);
        var timeouts = Enumerable.Range(0, ops.Length).Select(_ => random.Next(1, 300)).ToArray();
        var adders = Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                var n = (p * perProducer) + i;
                var key = n % keys;
                // Every tenth operation asks for more than will ever arrive: only its timeout ends it.
                var need = n % 10 == 0 ? long.MaxValue : Interlocked.Read(ref available[key]) + 1 + (n % 3);
                var op = new TestOperation(TimeSpan.FromMilliseconds(timeouts[n]), () => Interlocked.Read(ref available[key]) >= need);
                ops[n] = op;
                purgatory.TryCompleteElseWatch(op, [key, (key + 1) % keys]);
            }
        })).ToList();
        // Appenders: events on random keys while operations arrive.
        var stop = new CancellationTokenSource();
        var appenders = Enumerable.Range(0, 2).Select(a => Task.Run(() =>
        {
            var r = new Random(a);
            while (!stop.IsCancellationRequested)
            {
                var key = r.Next(keys);
                Interlocked.Increment(ref available[key]);
                purgatory.CheckAndComplete(key);
            }
        })).ToList();

        await Task.WhenAll(adders);
        var all = await Task.WhenAll(ops.Select(o => o.Done)).WaitAsync(TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await Task.WhenAll(appenders);

        Assert.All(ops, o => Assert.Equal(1, o.Completions));
        Assert.All(ops, o => Assert.InRange(o.Expirations, 0, 1));
        Assert.Contains(true, all); // completed by events
        Assert.All(ops.Where((_, n) => n % 10 == 0), o => Assert.Equal(1, o.Expirations));
        Assert.All(all.Where((_, n) => n % 10 == 0), Assert.False);
        Assert.Equal(0, purgatory.Delayed);
        purgatory.PurgeCompleted();
        Assert.Equal(0, purgatory.Watched);
    }
}
