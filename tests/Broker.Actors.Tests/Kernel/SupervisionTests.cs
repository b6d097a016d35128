using System.Collections.Concurrent;
using Broker.Actors.Kernel;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Tests.Kernel;

public sealed class SupervisionTests : TestKit.TestKit
{
    /// <summary>
    /// Keeps one counter in memory and one on "disk" (a shared dictionary), reloaded in PreStart the way a
    /// partition actor reloads its log. Reports every lifecycle hook to the probe.
    /// </summary>
    private sealed class Worker : ReceiveActor
    {
        private static int s_instances;
        private readonly ConcurrentDictionary<string, int> _disk;
        private readonly ActorRef _probe;
        private readonly int _instance = Interlocked.Increment(ref s_instances);
        private int _inMemory;
        private int _durable;

        public Worker(ConcurrentDictionary<string, int> disk, ActorRef probe)
        {
            _disk = disk;
            _probe = probe;
            Receive<string>(_ =>
            {
                _inMemory++;
                _disk[Self.Path.Name] = ++_durable;
            }, s => s == "inc");
            Receive<string>(_ => Sender.Tell((_inMemory, _durable)), s => s == "get");
            Receive<string>(s => throw new InvalidOperationException(s), s => s.StartsWith("fail", StringComparison.Ordinal));
            Receive<string>(_ => throw new ArgumentException("bad"), s => s == "bad-arg");
        }

        protected override void PreStart()
        {
            _durable = _disk.GetValueOrDefault(Self.Path.Name);
            _probe.Tell($"PreStart {Self.Path.Name}");
        }

        protected override void PostStop() => _probe.Tell($"PostStop {Self.Path.Name}");

        protected override void PreRestart(Exception reason, object? message)
        {
            _probe.Tell($"PreRestart {Self.Path.Name} {message} {_instance}");
            base.PreRestart(reason, message);
        }

        protected override void PostRestart(Exception reason)
        {
            _probe.Tell($"PostRestart {Self.Path.Name} {reason.Message} {_instance}");
            base.PostRestart(reason);
        }
    }

    /// <summary>Creates its child in PreStart with a chosen strategy; "child" returns it.</summary>
    private sealed class Parent(SupervisorStrategy strategy, Props childProps, ActorRef probe) : ReceiveActor
    {
        private ActorRef? _child;

        protected override void PreStart()
        {
            _child = Context.ActorOf(childProps, "child");
            probe.Tell("PreStart parent");
            Receive<string>(_ => Sender.Tell(_child!), s => s == "child");
            Receive<string>(s => throw new InvalidOperationException(s), s => s == "fail-parent");
        }

        protected override SupervisorStrategy SupervisorStrategy() => strategy;
    }

    private readonly ConcurrentDictionary<string, int> _disk = new();

    private Props WorkerProps(ActorRef probe) => Props.Create(() => new Worker(_disk, probe));

    private async Task<ActorRef> ChildOf(ActorRef parent) => await parent.Ask<ActorRef>("child", TestKit.TestKitSettings.DefaultTimeout);

    [Fact]
    public async Task Restart_builds_a_fresh_instance_that_reloads_state_in_PreStart()
    {
        var worker = Sys.ActorOf(WorkerProps(TestActor), "worker");
        ExpectMsg("PreStart worker");
        worker.Tell("inc");
        worker.Tell("inc");
        Assert.Equal((2, 2), await worker.Ask<(int, int)>("get", TestKit.TestKitSettings.DefaultTimeout));

        worker.Tell("fail-now");

        ExpectMsg<string>(s => s.StartsWith("PreRestart worker fail-now", StringComparison.Ordinal));
        ExpectMsg("PostStop worker"); // the default PreRestart runs PostStop on the failed instance
        ExpectMsg<string>(s => s.StartsWith("PostRestart worker fail-now", StringComparison.Ordinal));
        ExpectMsg("PreStart worker"); // the default PostRestart runs PreStart on the new one
        // In-memory state is gone, durable state was reloaded from "disk".
        Assert.Equal((0, 2), await worker.Ask<(int, int)>("get", TestKit.TestKitSettings.DefaultTimeout));
    }

    [Fact]
    public void Failure_is_logged_with_the_exception_and_the_decision()
    {
        var worker = Sys.ActorOf(WorkerProps(TestActor), "worker");
        ExpectMsg("PreStart worker");
        worker.Tell("fail-logged");
        ExpectMsg<string>(s => s.StartsWith("PreRestart", StringComparison.Ordinal));

        AwaitCondition(() => Logs.Entries.Any(e =>
            e.Level == LogLevel.Error && e.Exception is InvalidOperationException { Message: "fail-logged" } &&
            e.Message.Contains("akka://test/user/worker", StringComparison.Ordinal) && e.Message.Contains("Restart", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Stop_directive_stops_the_child_and_runs_PostStop()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Parent(SupervisorStrategy.StoppingStrategy, WorkerProps(TestActor), TestActor)), "parent");
        ExpectMsgAllOf("PreStart child", "PreStart parent");
        var child = await ChildOf(parent);
        Watch(child);

        child.Tell("fail");

        ExpectMsg("PostStop child");
        ExpectTerminated(child);
    }

    [Fact]
    public async Task Resume_directive_keeps_the_instance_and_its_state()
    {
        var strategy = new OneForOneStrategy(_ => Directive.Resume);
        var parent = Sys.ActorOf(Props.Create(() => new Parent(strategy, WorkerProps(TestActor), TestActor)), "parent");
        ExpectMsgAllOf("PreStart child", "PreStart parent");
        var child = await ChildOf(parent);
        child.Tell("inc");
        child.Tell("fail");
        child.Tell("inc");

        Assert.Equal((2, 2), await child.Ask<(int, int)>("get", TestKit.TestKitSettings.DefaultTimeout));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // no lifecycle hooks ran
    }

    [Fact]
    public async Task Decider_picks_the_directive_per_exception()
    {
        var strategy = new OneForOneStrategy(ex => ex is ArgumentException ? Directive.Stop : Directive.Restart);
        var parent = Sys.ActorOf(Props.Create(() => new Parent(strategy, WorkerProps(TestActor), TestActor)), "parent");
        ExpectMsgAllOf("PreStart child", "PreStart parent");
        var child = await ChildOf(parent);
        Watch(child);

        child.Tell("fail");
        ExpectMsg<string>(s => s.StartsWith("PreRestart", StringComparison.Ordinal));
        ExpectMsg("PostStop child");
        ExpectMsg<string>(s => s.StartsWith("PostRestart", StringComparison.Ordinal));
        ExpectMsg("PreStart child");

        child.Tell("bad-arg");
        ExpectMsg("PostStop child");
        ExpectTerminated(child);
    }

    [Fact]
    public async Task Escalate_restarts_the_parent_which_recreates_its_child()
    {
        var escalating = new OneForOneStrategy(_ => Directive.Escalate);
        var parentProps = Props.Create(() => new Parent(escalating, WorkerProps(TestActor), TestActor));
        var grandparent = Sys.ActorOf(Props.Create(() => new Parent(SupervisorStrategy.DefaultStrategy, parentProps, TestActor)), "grandparent");
        ExpectMsgAllOf("PreStart child", "PreStart parent", "PreStart parent"); // child, middle actor, grandparent
        var parent = await ChildOf(grandparent);
        var child = await ChildOf(parent);
        Watch(child);

        child.Tell("fail-escalated");

        // The parent restarts: its old child is stopped (not restarted), then the new parent creates a new child.
        ExpectMsg("PostStop child");
        ExpectTerminated(child);
        ExpectMsgAllOf("PreStart child", "PreStart parent");
        var newChild = await ChildOf(parent);
        Assert.NotSame(child, newChild);
        Assert.Equal("akka://test/user/grandparent/child/child", newChild.Path.ToString());
    }

    [Fact]
    public async Task Too_many_restarts_within_the_window_stop_the_child()
    {
        var strategy = new OneForOneStrategy(2, TimeSpan.FromMinutes(1), _ => Directive.Restart);
        var parent = Sys.ActorOf(Props.Create(() => new Parent(strategy, WorkerProps(TestActor), TestActor)), "parent");
        ExpectMsgAllOf("PreStart child", "PreStart parent");
        var child = await ChildOf(parent);
        var probe = CreateTestProbe();
        probe.Watch(child);

        child.Tell("fail-1");
        child.Tell("fail-2");
        child.Tell("fail-3");

        probe.ExpectTerminated(child);
        var hooks = new List<string>();
        while (hooks.Count == 0 || hooks[^1] != "PostStop child" || hooks.Count(h => h == "PreStart child") < 2)
            hooks.Add(ExpectMsg<string>());
        Assert.Equal(2, hooks.Count(h => h.StartsWith("PostRestart", StringComparison.Ordinal)));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private sealed class FailsToStart : ActorBase
    {
        protected override void PreStart() => throw new IOException("disk gone");

        protected override void OnReceive(object message)
        {
        }
    }

    [Fact]
    public void Failure_in_PreStart_stops_the_actor_by_default()
    {
        var actor = Sys.ActorOf(Props.Create<FailsToStart>(), "broken");
        Watch(actor);
        ExpectTerminated(actor);
        Assert.Contains(Logs.Entries, e => e.Exception is ActorInitializationException { InnerException: IOException });
    }

    [Fact]
    public async Task All_for_one_restarts_the_siblings_too()
    {
        var probe = TestActor;
        var strategy = new AllForOneStrategy(_ => Directive.Restart);
        var parent = Sys.ActorOf(Props.Create(() => new TwoChildren(strategy, WorkerProps(probe))), "parent");
        ExpectMsg<string>(s => s.StartsWith("PreStart", StringComparison.Ordinal));
        ExpectMsg<string>(s => s.StartsWith("PreStart", StringComparison.Ordinal));
        var left = await parent.Ask<ActorRef>("left", TestKit.TestKitSettings.DefaultTimeout);

        left.Tell("fail");

        var restarted = new HashSet<string>();
        while (restarted.Count < 2)
        {
            var msg = ExpectMsg<string>();
            if (msg.StartsWith("PostRestart", StringComparison.Ordinal))
                restarted.Add(msg.Split(' ')[1]);
        }

        Assert.Equal(["left", "right"], restarted.Order());
    }

    private sealed class TwoChildren(SupervisorStrategy strategy, Props childProps) : ReceiveActor
    {
        protected override void PreStart()
        {
            var left = Context.ActorOf(childProps, "left");
            Context.ActorOf(childProps, "right");
            Receive<string>(_ => Sender.Tell(left), s => s == "left");
        }

        // Restarting the parent is not under test; keep its children across its own restarts out of scope.
        protected override SupervisorStrategy SupervisorStrategy() => strategy;
    }

    /// <summary>Takes its time in PostStop, like an actor flushing and closing segment files.</summary>
    private sealed class SlowToStop(ActorRef probe) : ActorBase
    {
        protected override void OnReceive(object message)
        {
        }

        protected override void PostStop()
        {
            Thread.Sleep(100);
            probe.Tell("child closed its files");
        }
    }

    private sealed class OwnsFiles(ActorRef probe) : ActorBase
    {
        protected override void PreStart()
        {
            Context.ActorOf(Props.Create(() => new SlowToStop(probe)), "files");
            probe.Tell("parent started");
        }

        protected override void OnReceive(object message) => throw new InvalidOperationException("crash");
    }

    [Fact]
    public void Restart_waits_for_the_old_children_to_stop_before_starting_the_new_instance()
    {
        var parent = Sys.ActorOf(Props.Create(() => new OwnsFiles(TestActor)), "owner");
        ExpectMsg("parent started");

        parent.Tell("crash");

        ExpectMsg("child closed its files");
        ExpectMsg("parent started");
    }
}
