using Broker.Actors.Kernel;

namespace Broker.Actors.Tests.Kernel;

public sealed class TimerTests : TestKit.TestKit
{
    private sealed record Tick(int Incarnation);

    private sealed class Ticker(ActorRef probe) : ActorBase
    {
        private static int s_incarnations;
        private readonly int _incarnation = Interlocked.Increment(ref s_incarnations);

        protected override void PreStart() => probe.Tell($"started {_incarnation}");

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "single":
                    Context.Timers.StartSingleTimer("t", new Tick(_incarnation), TimeSpan.FromMilliseconds(20));
                    break;
                case "periodic":
                    Context.Timers.StartPeriodicTimer("t", new Tick(_incarnation), TimeSpan.FromMilliseconds(10));
                    break;
                case "cancel":
                    Context.Timers.Cancel("t");
                    probe.Tell("cancelled");
                    break;
                case "active?":
                    Sender.Tell(Context.Timers.IsTimerActive("t"));
                    break;
                case "fail":
                    throw new InvalidOperationException("restart me");
                case Tick tick:
                    probe.Tell(tick);
                    break;
            }
        }
    }

    private ActorRef StartTicker()
    {
        var ticker = Sys.ActorOf(Props.Create(() => new Ticker(TestActor)), "ticker");
        ExpectMsg<string>(s => s.StartsWith("started", StringComparison.Ordinal));
        return ticker;
    }

    [Fact]
    public async Task Single_timer_fires_once()
    {
        var ticker = StartTicker();
        ticker.Tell("single");
        ExpectMsg<Tick>();
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.False(await ticker.Ask<bool>("active?", TestKit.TestKitSettings.DefaultTimeout));
    }

    [Fact]
    public async Task Periodic_timer_repeats_until_cancelled()
    {
        var ticker = StartTicker();
        ticker.Tell("periodic");
        ReceiveN(3).ToList().ForEach(m => Assert.IsType<Tick>(m));
        Assert.True(await ticker.Ask<bool>("active?", TestKit.TestKitSettings.DefaultTimeout));

        ticker.Tell("cancel");

        // Ticks already forwarded before the cancel may precede the ack; none may follow it.
        while (ExpectMsg<object>() is not "cancelled")
        {
        }

        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Timers_are_cancelled_when_the_actor_stops()
    {
        // Ticks and the Terminated notice both come from the ticker, so Terminated is after the last tick.
        var probe = CreateTestProbe();
        var ticker = Sys.ActorOf(Props.Create(() => new Ticker(probe.Ref)), "ticker");
        probe.Watch(ticker);
        probe.ExpectMsg<string>(s => s.StartsWith("started", StringComparison.Ordinal));
        ticker.Tell("periodic");
        probe.ExpectMsg<Tick>();

        Sys.Stop(ticker);
        while (probe.ExpectMsg<object>() is not Terminated)
        {
        }

        var deadLetters = Sys.DeadLetterCount;
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        // A timer disposed while its callback was already running can post one last tick, nothing more.
        Assert.True(Sys.DeadLetterCount - deadLetters <= 1, "a cancelled timer kept firing into dead letters");
    }

    [Fact]
    public void Timers_are_cancelled_on_restart()
    {
        var ticker = StartTicker();
        ticker.Tell("periodic");
        ExpectMsg<Tick>();

        ticker.Tell("fail");

        while (ExpectMsg<object>() is not string started || !started.StartsWith("started", StringComparison.Ordinal))
        {
        }

        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
