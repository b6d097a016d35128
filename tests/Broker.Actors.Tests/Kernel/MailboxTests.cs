using Broker.Actors.Kernel;

namespace Broker.Actors.Tests.Kernel;

public sealed class MailboxTests : TestKit.TestKit
{
    private sealed record Seq(int Sender, int N);

    private sealed record Report(int Received, int OutOfOrder, int MaxConcurrent);

    private const string GetReport = "report";

    /// <summary>Checks per-sender order and that no two threads are ever inside OnReceive at once.</summary>
    private sealed class Checker : ActorBase
    {
        private readonly Dictionary<int, int> _last = [];
        private int _inFlight;
        private int _maxConcurrent;
        private int _received;
        private int _outOfOrder;

        protected override void OnReceive(object message)
        {
            var now = Interlocked.Increment(ref _inFlight);
            if (now > _maxConcurrent)
                _maxConcurrent = now;
            try
            {
                switch (message)
                {
                    case Seq seq:
                        _received++;
                        if (_last.TryGetValue(seq.Sender, out var last) && seq.N != last + 1)
                            _outOfOrder++;
                        _last[seq.Sender] = seq.N;
                        Thread.SpinWait(20); // widen the window a concurrent run would need to show up
                        break;
                    case GetReport:
                        Sender.Tell(new Report(_received, _outOfOrder, _maxConcurrent));
                        break;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public async Task Messages_from_one_sender_arrive_in_order_and_one_at_a_time(int throughput)
    {
        var checker = Sys.ActorOf(Props.Create<Checker>().WithThroughput(throughput), "checker");
        const int senders = 6;
        const int perSender = 20_000;
        var threads = Enumerable.Range(0, senders).Select(s => new Thread(() =>
        {
            for (var i = 0; i < perSender; i++)
                checker.Tell(new Seq(s, i));
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var report = await checker.Ask<Report>(GetReport, TestKit.TestKitSettings.Dilated(TimeSpan.FromSeconds(30)));

        Assert.Equal(senders * perSender, report.Received);
        Assert.Equal(0, report.OutOfOrder);
        Assert.Equal(1, report.MaxConcurrent);
    }

    /// <summary>Keeps itself busy forever by sending itself the next message; stops after <c>limit</c>.</summary>
    private sealed class Hot(long[] counts, int index, int limit, ActorRef probe) : ActorBase
    {
        protected override void OnReceive(object message)
        {
            var done = ++counts[index];
            if (done < limit)
            {
                Self.Tell(message);
                return;
            }

            // Both actors share the one dispatcher thread, so this read of the other count is exact.
            probe.Tell(new Finished(index, counts[1 - index]));
            Context.Stop(Self);
        }
    }

    private sealed record Finished(int Index, long OtherCount);

    [Theory]
    [InlineData(64, true)]
    [InlineData(int.MaxValue, false)]
    public void Throughput_cap_makes_a_hot_actor_yield_to_another(int throughput, bool fair)
    {
        using var dispatcher = new SingleThreadDispatcher("fairness-test");
        var probe = CreateTestProbe();
        var counts = new long[2];
        const int limit = 64 * 500;
        var a = Sys.ActorOf(Props.Create(() => new Hot(counts, 0, limit, probe.Ref)).WithDispatcher(dispatcher).WithThroughput(throughput), "a");
        var b = Sys.ActorOf(Props.Create(() => new Hot(counts, 1, limit, probe.Ref)).WithDispatcher(dispatcher).WithThroughput(throughput), "b");
        probe.Watch(a);
        probe.Watch(b);
        a.Tell("go");
        b.Tell("go");

        var first = probe.ExpectMsg<Finished>(TestKit.TestKitSettings.Dilated(TimeSpan.FromSeconds(20)));
        if (fair)
        {
            // Round-robin in slices of 64: when one finishes the other is at most a couple of slices behind.
            Assert.True(first.OtherCount >= limit - (3 * throughput), $"other actor only reached {first.OtherCount} of {limit}");
        }
        else
        {
            // Without a cap the first actor hogs the only thread until it is done.
            Assert.Equal(0, first.OtherCount);
        }

        var rest = probe.ReceiveN(3, TestKit.TestKitSettings.Dilated(TimeSpan.FromSeconds(20)));
        Assert.Single(rest.OfType<Finished>());
        Assert.Equal(2, rest.OfType<Terminated>().Count());
    }

    /// <summary>Blocks in its first message until released, so the test controls what sits in the mailbox.</summary>
    private sealed class Gate(ManualResetEventSlim entered, ManualResetEventSlim release, int[]? processed = null) : ActorBase
    {
        private int _count;

        protected override void OnReceive(object message)
        {
            if (message is "block")
            {
                entered.Set();
                release.Wait();
                return;
            }

            if (message is GetReport)
                Sender.Tell(_count);
            else if (processed is null)
                _count++;
            else
                Volatile.Write(ref processed[0], ++_count);
        }
    }

    [Fact]
    public async Task Bounded_mailbox_sends_overflow_to_dead_letters()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var processed = new int[1];
        var gate = Sys.ActorOf(Props.Create(() => new Gate(entered, release, processed)).WithBoundedMailbox(10), "bounded");
        gate.Tell("block");
        Assert.True(entered.Wait(TestKit.TestKitSettings.DefaultTimeout));
        var before = Sys.DeadLetterCount;

        for (var i = 0; i < 15; i++)
            gate.Tell(i);

        Assert.Equal(5, Sys.DeadLetterCount - before);
        release.Set();
        AwaitCondition(() => Volatile.Read(ref processed[0]) == 10);
        Assert.Equal(10, await gate.Ask<int>(GetReport, TestKit.TestKitSettings.DefaultTimeout));
        Assert.Equal(5, Sys.DeadLetterCount - before);
    }

    [Fact]
    public async Task Tell_allocates_nothing_beyond_the_message()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var gate = Sys.ActorOf(Props.Create(() => new Gate(entered, release)), "gate");
        var message = new object();

        // Warm up: grow the queue's segments and JIT the path once.
        gate.Tell("block");
        Assert.True(entered.Wait(TestKit.TestKitSettings.DefaultTimeout));
        for (var i = 0; i < 10_000; i++)
            gate.Tell(message);
        release.Set();
        Assert.Equal(10_000, await gate.Ask<int>(GetReport, TestKit.TestKitSettings.DefaultTimeout));

        entered.Reset();
        release.Reset();
        gate.Tell("block");
        Assert.True(entered.Wait(TestKit.TestKitSettings.DefaultTimeout));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 4096; i++)
            gate.Tell(message);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        release.Set();

        Assert.True(allocated < 4096, $"4096 Tells allocated {allocated} bytes");
        Assert.Equal(14_096, await gate.Ask<int>(GetReport, TestKit.TestKitSettings.DefaultTimeout));
    }
}
