using BenchmarkDotNet.Attributes;
using Broker.Actors.Kernel;

namespace Broker.Benchmarks.Kernel;

/// <summary>
/// Raw kernel messaging cost: one-way Tell into a counting actor and a two-actor ping-pong.
/// Results are per message (OperationsPerInvoke), so messages/second = 1e9 / Mean(ns).
/// The allocation column should read ~0 B: Tell must not allocate beyond the (preallocated) message.
/// </summary>
[MemoryDiagnoser]
public class ActorMessagingBenchmarks
{
    private const int Messages = 200_000;
    private static readonly object Ball = new();

    private ActorSystem _system = null!;
    private ActorRef _counter = null!;
    private ActorRef _ping = null!;
    private ActorRef _pong = null!;

    [Params(64)]
    public int Throughput { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench", settings: new ActorSystemSettings { DefaultThroughput = Throughput });
        _counter = _system.ActorOf(Props.Create<Counter>(), "counter");
        _pong = _system.ActorOf(Props.Create<Pong>(), "pong");
        _ping = _system.ActorOf(Props.Create<Ping>(), "ping");
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    /// <summary>One sender thread, one receiving actor: mailbox enqueue/dequeue plus scheduling.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void OneWay()
    {
        var done = new Expect(Messages);
        _counter.Tell(done);
        for (var i = 0; i < Messages; i++)
            _counter.Tell(Ball);
        done.Completion.Task.Wait();
    }

    /// <summary>Two actors bouncing one message: latency-bound, every hop wakes an idle mailbox.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void PingPong()
    {
        var done = new Expect(Messages / 2);
        _ping.Tell(new Serve(_pong, done));
        done.Completion.Task.Wait();
    }

    /// <summary>Ping-pong with several balls in flight, so mailboxes stay busy and batch up to the throughput cap.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void PingPong_16InFlight()
    {
        var done = new Expect(Messages / 2);
        _ping.Tell(new Serve(_pong, done, 16));
        done.Completion.Task.Wait();
    }

    private sealed class Expect(int count)
    {
        public int Count { get; } = count;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record Serve(ActorRef Pong, Expect Done, int Balls = 1);

    private sealed class Counter : ActorBase
    {
        private Expect? _expect;
        private int _seen;

        protected override void OnReceive(object message)
        {
            if (message is Expect expect)
            {
                _expect = expect;
                _seen = 0;
            }
            else if (++_seen == _expect!.Count)
            {
                _expect.Completion.SetResult();
            }
        }
    }

    private sealed class Ping : ActorBase
    {
        private Expect? _expect;
        private int _sent;
        private int _returned;

        protected override void OnReceive(object message)
        {
            if (message is Serve serve)
            {
                _expect = serve.Done;
                _returned = 0;
                _sent = Math.Min(serve.Balls, serve.Done.Count);
                for (var i = 0; i < _sent; i++)
                    serve.Pong.Tell(Ball);
                return;
            }

            if (++_returned == _expect!.Count)
            {
                _expect.Completion.SetResult();
            }
            else if (_sent < _expect.Count)
            {
                _sent++;
                Sender.Tell(message);
            }
        }
    }

    private sealed class Pong : ActorBase
    {
        protected override void OnReceive(object message) => Sender.Tell(message);
    }
}
