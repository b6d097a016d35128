using System.Collections.Concurrent;
using Broker.Actors.Kernel;

namespace Broker.Actors.Tests.Kernel;

public sealed class LifecycleTests : TestKit.TestKit
{
    /// <summary>Builds a small tree from a spec and records PostStop order.</summary>
    private sealed class Node(string[] children, ConcurrentQueue<string> stopped) : ReceiveActor
    {
        protected override void PreStart()
        {
            foreach (var child in children)
                Context.ActorOf(Props.Create(() => new Node(child == "a" || child == "b" ? [child + "1", child + "2"] : [], stopped)), child);
            Receive<string>(_ => Sender.Tell(Context.Children.Select(c => c.Path.Name).Order().ToArray()), s => s == "children");
            Receive<string>(_ => Sender.Tell(Context.Parent), s => s == "parent");
            Receive<string>(s => Sender.Tell((object?)Context.Child(s[6..]) ?? "none"), s => s.StartsWith("child ", StringComparison.Ordinal));
        }

        protected override void PostStop() => stopped.Enqueue(Self.Path.ToString());
    }

    private sealed class Echo : ActorBase
    {
        protected override void OnReceive(object message)
        {
            if (message is "unhandled")
                Unhandled(message);
            else
                Sender.Tell(message);
        }
    }

    [Fact]
    public void Paths_follow_the_hierarchy()
    {
        var actor = Sys.ActorOf(Props.Create<Echo>(), "partition-foo-0");
        Assert.Equal("akka://test/user/partition-foo-0", actor.Path.ToString());
        Assert.Equal("partition-foo-0", actor.Path.Name);
        var anonymous = Sys.ActorOf(Props.Create<Echo>());
        Assert.StartsWith("akka://test/user/$", anonymous.Path.ToString(), StringComparison.Ordinal);
        Assert.Equal("akka://test/deadLetters", Sys.DeadLetters.Path.ToString());
    }

    [Fact]
    public async Task Children_parent_and_child_lookup()
    {
        var stopped = new ConcurrentQueue<string>();
        var root = Sys.ActorOf(Props.Create(() => new Node(["a", "b"], stopped)), "root");
        Assert.Equal(["a", "b"], await root.Ask<string[]>("children", TestKit.TestKitSettings.DefaultTimeout));
        var a = await root.Ask<ActorRef>("child a", TestKit.TestKitSettings.DefaultTimeout);
        Assert.Equal("akka://test/user/root/a", a.Path.ToString());
        Assert.Same(root, await a.Ask<ActorRef>("parent", TestKit.TestKitSettings.DefaultTimeout));
        Assert.Equal("none", await root.Ask<string>("child zz", TestKit.TestKitSettings.DefaultTimeout));
    }

    [Fact]
    public async Task Terminate_stops_children_before_parents_and_runs_every_PostStop()
    {
        var stopped = new ConcurrentQueue<string>();
        var root = Sys.ActorOf(Props.Create(() => new Node(["a", "b"], stopped)), "root");
        Sys.ActorOf(Props.Create(() => new Node([], stopped)), "other");
        await root.Ask<string[]>("children", TestKit.TestKitSettings.DefaultTimeout);
        var a = await root.Ask<ActorRef>("child a", TestKit.TestKitSettings.DefaultTimeout);
        await a.Ask<string[]>("children", TestKit.TestKitSettings.DefaultTimeout); // grandchildren exist

        await Sys.Terminate().WaitAsync(TestKit.TestKitSettings.Dilated(TimeSpan.FromSeconds(10)));

        var order = stopped.ToList();
        string[] expected =
        [
            "akka://test/user/root", "akka://test/user/root/a", "akka://test/user/root/b",
            "akka://test/user/root/a/a1", "akka://test/user/root/a/a2", "akka://test/user/root/b/b1",
            "akka://test/user/root/b/b2", "akka://test/user/other",
        ];
        Assert.Equal(expected.Order(), order.Order());
        foreach (var path in order)
        {
            var parent = path[..path.LastIndexOf('/')];
            if (order.Contains(parent))
                Assert.True(order.IndexOf(path) < order.IndexOf(parent), $"{path} stopped after its parent");
        }

        Assert.Throws<InvalidOperationException>(() => Sys.ActorOf(Props.Create<Echo>(), "late"));
    }

    [Fact]
    public void Messages_to_a_stopped_actor_are_counted_as_dead_letters()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>(), "echo");
        Watch(echo);
        Sys.Stop(echo);
        ExpectTerminated(echo);
        var before = Sys.DeadLetterCount;

        echo.Tell("a");
        echo.Tell("b");
        echo.Tell("c");

        Assert.Equal(3, Sys.DeadLetterCount - before);
    }

    [Fact]
    public void Unhandled_messages_are_counted_as_dead_letters()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>(), "echo");
        var before = Sys.DeadLetterCount;
        echo.Tell("unhandled");
        echo.Tell("hello", TestActor);
        ExpectMsg("hello");
        Assert.Equal(1, Sys.DeadLetterCount - before);
    }

    [Fact]
    public void Names_are_unique_until_the_previous_holder_has_terminated()
    {
        var first = Sys.ActorOf(Props.Create<Echo>(), "name");
        Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create<Echo>(), "name"));
        Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create<Echo>(), "a/b"));
        Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create<Echo>(), "$x"));
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        AwaitCondition(() =>
        {
            try
            {
                Sys.ActorOf(Props.Create<Echo>(), "name");
                return true;
            }
            catch (InvalidActorNameException)
            {
                return false; // the guardian has not processed ChildTerminated yet
            }
        });
    }

    [Fact]
    public void PoisonPill_stops_after_the_messages_before_it()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>(), "echo");
        Watch(echo);
        echo.Tell(1, TestActor);
        echo.Tell(2, TestActor);
        echo.Tell(PoisonPill.Instance);
        echo.Tell(3, TestActor);

        ExpectMsg(1);
        ExpectMsg(2);
        ExpectTerminated(echo);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Kill_stops_the_actor_through_its_supervisor()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>(), "echo");
        Watch(echo);
        echo.Tell(Kill.Instance);
        ExpectTerminated(echo);
        Assert.Contains(Logs.Entries, e => e.Exception is ActorKilledException);
    }

    [Fact]
    public void Actors_cannot_be_created_with_new()
    {
        Assert.Throws<InvalidOperationException>(() => new Echo());
    }

    [Fact]
    public async Task Dispose_of_the_system_terminates_it()
    {
        var system = ActorSystem.Create("other");
        system.ActorOf(Props.Create<Echo>(), "x");
        await system.DisposeAsync();
        Assert.True(system.WhenTerminated.IsCompletedSuccessfully);
    }
}
