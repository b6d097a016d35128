using Broker.Actors.Kernel;

namespace Broker.Actors.Tests.Kernel;

/// <summary>ReceiveActor dispatch, Become, Stash and PipeTo.</summary>
public sealed class BehaviorTests : TestKit.TestKit
{
    private sealed class Typed : ReceiveActor
    {
        public Typed()
        {
            Receive<int>(n => Sender.Tell($"small {n}"), n => n < 10);
            Receive<int>(n => Sender.Tell($"int {n}"));
            Receive<string>(s => Sender.Tell($"string {s}"));
        }
    }

    private sealed class CatchAll : ReceiveActor
    {
        public CatchAll()
        {
            Receive<int>(n => Sender.Tell($"int {n}"));
            ReceiveAny(m => Sender.Tell($"any {m}"));
        }
    }

    [Fact]
    public void ReceiveActor_uses_the_first_matching_registration()
    {
        var typed = Sys.ActorOf(Props.Create<Typed>(), "typed");
        typed.Tell(3, TestActor);
        typed.Tell(30, TestActor);
        typed.Tell("x", TestActor);
        ExpectMsg("small 3");
        ExpectMsg("int 30");
        ExpectMsg("string x");

        var before = Sys.DeadLetterCount;
        typed.Tell(1.5, TestActor);
        typed.Tell("y", TestActor);
        ExpectMsg("string y");
        Assert.Equal(1, Sys.DeadLetterCount - before);

        var any = Sys.ActorOf(Props.Create<CatchAll>(), "any");
        any.Tell(1.5, TestActor);
        ExpectMsg("any 1.5");
    }

    /// <summary>Stashes work until "open", then handles it in arrival order before newer messages.</summary>
    private sealed class Gatekeeper : ActorBase
    {
        protected override void OnReceive(object message)
        {
            if (message is "open")
            {
                Context.Stash.UnstashAll();
                Context.Become(Open);
                return;
            }

            Context.Stash.Stash();
        }

        private void Open(object message)
        {
            if (message is "close")
                Context.Unbecome();
            else
                Sender.Tell(message);
        }
    }

    [Fact]
    public void Stash_holds_messages_until_unstashed_in_order_and_Become_switches_behavior()
    {
        var gate = Sys.ActorOf(Props.Create<Gatekeeper>(), "gate");
        gate.Tell("a", TestActor);
        gate.Tell("b", TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        gate.Tell("open");
        gate.Tell("c", TestActor);
        ExpectMsg("a");
        ExpectMsg("b");
        ExpectMsg("c");

        gate.Tell("close");
        gate.Tell("d", TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        gate.Tell("open");
        ExpectMsg("d");
    }

    [Fact]
    public void Stashed_messages_become_dead_letters_when_the_actor_stops()
    {
        var gate = Sys.ActorOf(Props.Create<Gatekeeper>(), "gate");
        Watch(gate);
        var before = Sys.DeadLetterCount;
        gate.Tell("a");
        gate.Tell("b");
        gate.Tell(PoisonPill.Instance);
        ExpectTerminated(gate);
        Assert.Equal(2, Sys.DeadLetterCount - before);
    }

    private sealed record Work(Task<int> Task);

    private sealed record Done(int Value);

    private sealed record Broke(string Reason);

    /// <summary>Pipes async results back to itself; state is only touched when the result arrives as a message.</summary>
    private sealed class Piper(ActorRef probe) : ActorBase
    {
        private int _completed;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Work work:
                    work.Task.PipeTo(Self, Self, v => new Done(v), ex => new Broke(ex.Message));
                    break;
                case Done done:
                    _completed++;
                    probe.Tell($"done {done.Value} after {_completed}");
                    break;
                case Broke broke:
                    probe.Tell($"broke {broke.Reason}");
                    break;
            }
        }
    }

    [Fact]
    public void PipeTo_delivers_results_and_failures_as_messages()
    {
        var piper = Sys.ActorOf(Props.Create(() => new Piper(TestActor)), "piper");
        var pending = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        piper.Tell(new Work(pending.Task));
        piper.Tell(new Work(Task.FromException<int>(new IOException("disk"))));

        ExpectMsg("broke disk"); // the mailbox was not blocked by the pending task
        pending.SetResult(7);
        ExpectMsg("done 7 after 1");
    }

    [Fact]
    public void PipeTo_defaults_to_the_result_and_Status_Failure()
    {
        Task.FromResult("value").PipeTo(TestActor);
        ExpectMsg("value");
        Task.FromException<string>(new IOException("x")).PipeTo(TestActor);
        Assert.IsType<IOException>(ExpectMsg<Status.Failure>().Cause);
        Task.CompletedTask.PipeTo(TestActor);
        ExpectMsg<Status.Success>();
    }
}
