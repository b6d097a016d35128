using Broker.Actors.Kernel;

namespace Broker.Actors.Tests.Kernel;

public sealed class DeathWatchTests : TestKit.TestKit
{
    private sealed class Idle : ActorBase
    {
        protected override void OnReceive(object message) => Unhandled(message);
    }

    /// <summary>Says goodbye to <c>peer</c> in PostStop, to check Terminated arrives after its last message.</summary>
    private sealed class SaysGoodbye(ActorRef peer) : ActorBase
    {
        protected override void OnReceive(object message)
        {
        }

        protected override void PostStop() => peer.Tell("goodbye");
    }

    private sealed record WatchIt(ActorRef Target);

    private sealed record UnwatchIt(ActorRef Target);

    /// <summary>Watches on command and reports what it sees to the probe.</summary>
    private sealed class Watcher(ActorRef probe, bool handleTerminated = true) : ActorBase
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case WatchIt w:
                    Context.Watch(w.Target);
                    Sender.Tell("watching");
                    break;
                case UnwatchIt u:
                    Context.Unwatch(u.Target);
                    Sender.Tell("unwatched");
                    break;
                case Terminated t when handleTerminated:
                    probe.Tell(t);
                    break;
                case string s:
                    probe.Tell(s);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }

    [Fact]
    public void Probe_gets_Terminated_when_a_watched_actor_stops()
    {
        var actor = Sys.ActorOf(Props.Create<Idle>(), "idle");
        Watch(actor);
        Sys.Stop(actor);
        Assert.Same(actor, ExpectTerminated(actor).ActorRef);
    }

    [Fact]
    public async Task Terminated_arrives_after_the_dead_actors_last_message()
    {
        var probe = CreateTestProbe();
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(probe.Ref)), "watcher");
        var target = Sys.ActorOf(Props.Create(() => new SaysGoodbye(watcher)), "target");
        Assert.Equal("watching", await watcher.Ask<string>(new WatchIt(target), TestKit.TestKitSettings.DefaultTimeout));

        target.Tell(PoisonPill.Instance);

        probe.ExpectMsg("goodbye");
        probe.ExpectTerminated(target);
    }

    [Fact]
    public async Task Watching_an_already_dead_actor_delivers_Terminated_at_once()
    {
        var target = Sys.ActorOf(Props.Create<Idle>(), "target");
        Watch(target);
        Sys.Stop(target);
        ExpectTerminated(target);

        var probe = CreateTestProbe();
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(probe.Ref)), "watcher");
        await watcher.Ask<string>(new WatchIt(target), TestKit.TestKitSettings.DefaultTimeout);

        probe.ExpectTerminated(target);
    }

    [Fact]
    public async Task Unwatch_suppresses_Terminated()
    {
        var probe = CreateTestProbe();
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(probe.Ref)), "watcher");
        var target = Sys.ActorOf(Props.Create<Idle>(), "target");
        await watcher.Ask<string>(new WatchIt(target), TestKit.TestKitSettings.DefaultTimeout);
        await watcher.Ask<string>(new UnwatchIt(target), TestKit.TestKitSettings.DefaultTimeout);

        Watch(target);
        Sys.Stop(target);
        ExpectTerminated(target);

        watcher.Tell("ping"); // goes through the watcher after any Terminated would have
        probe.ExpectMsg("ping");
    }

    [Fact]
    public async Task Unhandled_Terminated_stops_the_watcher_with_a_death_pact()
    {
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(TestActor, false)), "watcher");
        var target = Sys.ActorOf(Props.Create<Idle>(), "target");
        await watcher.Ask<string>(new WatchIt(target), TestKit.TestKitSettings.DefaultTimeout);
        Watch(watcher);

        Sys.Stop(target);

        ExpectTerminated(watcher);
        Assert.Contains(Logs.Entries, e => e.Exception is DeathPactException d && d.DeadActor == target);
    }

    [Fact]
    public void Parent_watching_its_child_sees_the_name_freed_when_Terminated_arrives()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Recreator(TestActor)), "parent");
        parent.Tell("stop-child");
        var path = ExpectMsg<string>();
        Assert.Equal("akka://test/user/parent/child", path);
    }

    /// <summary>On Terminated of its child it creates a new child with the same name: the name must be free by then.</summary>
    private sealed class Recreator(ActorRef probe) : ActorBase
    {
        private ActorRef? _child;

        protected override void PreStart() => _child = Context.Watch(Context.ActorOf(Props.Create<Idle>(), "child"));

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "stop-child":
                    Context.Stop(_child!);
                    break;
                case Terminated:
                    probe.Tell(Context.ActorOf(Props.Create<Idle>(), "child").Path.ToString());
                    break;
            }
        }
    }
}
