using Broker.Actors.Kernel;

namespace Broker.Actors.Tests.TestKit;

/// <summary>
/// Base class for actor tests: xunit makes one instance per test, so each test gets its own
/// <see cref="ActorSystem"/> (terminated on dispose) and a default probe, <see cref="TestActor"/>.
/// </summary>
public abstract class TestKit : IDisposable
{
    private readonly TestProbe _testActor;

    /// <summary>Creates the system (name "test") with captured logging.</summary>
    protected TestKit(ActorSystemSettings? settings = null)
    {
        Logs = new TestLoggerFactory();
        Sys = ActorSystem.Create("test", Logs, settings);
        _testActor = new TestProbe(Sys, "testActor");
    }

    /// <summary>The system under test.</summary>
    protected ActorSystem Sys { get; }

    /// <summary>Everything the system logged.</summary>
    protected TestLoggerFactory Logs { get; }

    /// <summary>The default probe's ref; use it as a sender to get replies through the TestKit's Expect methods.</summary>
    protected ActorRef TestActor => _testActor.Ref;

    /// <summary>Sender of the last message the default probe took.</summary>
    protected ActorRef LastSender => _testActor.LastSender;

    /// <summary>A fresh probe.</summary>
    protected TestProbe CreateTestProbe(string? name = null) => new(Sys, name);

    /// <summary>See <see cref="TestProbe.ExpectMsg{T}(TimeSpan?)"/>.</summary>
    protected T ExpectMsg<T>(TimeSpan? timeout = null) => _testActor.ExpectMsg<T>(timeout);

    /// <summary>See <see cref="TestProbe.ExpectMsg{T}(T, TimeSpan?)"/>.</summary>
    protected T ExpectMsg<T>(T expected, TimeSpan? timeout = null) where T : notnull => _testActor.ExpectMsg(expected, timeout);

    /// <summary>See <see cref="TestProbe.ExpectMsg{T}(Predicate{T}, TimeSpan?)"/>.</summary>
    protected T ExpectMsg<T>(Predicate<T> predicate, TimeSpan? timeout = null) => _testActor.ExpectMsg(predicate, timeout);

    /// <summary>See <see cref="TestProbe.ExpectMsgAllOf{T}"/>.</summary>
    protected IReadOnlyList<T> ExpectMsgAllOf<T>(params T[] expected) where T : notnull => _testActor.ExpectMsgAllOf(expected);

    /// <summary>See <see cref="TestProbe.ExpectNoMsg"/>.</summary>
    protected void ExpectNoMsg(TimeSpan duration) => _testActor.ExpectNoMsg(duration);

    /// <summary>See <see cref="TestProbe.ReceiveN"/>.</summary>
    protected IReadOnlyList<object> ReceiveN(int count, TimeSpan? timeout = null) => _testActor.ReceiveN(count, timeout);

    /// <summary>Replies to the sender of the last message the default probe took.</summary>
    protected void Reply(object message) => _testActor.Reply(message);

    /// <summary>The default probe watches <paramref name="target"/>.</summary>
    protected ActorRef Watch(ActorRef target)
    {
        _testActor.Watch(target);
        return target;
    }

    /// <summary>Expects the default probe to get <see cref="Terminated"/> for <paramref name="target"/>.</summary>
    protected Terminated ExpectTerminated(ActorRef target, TimeSpan? timeout = null) => _testActor.ExpectTerminated(target, timeout);

    /// <summary>Polls <paramref name="condition"/> until true; for state that is not observable as a message.</summary>
    protected static void AwaitCondition(Func<bool> condition, TimeSpan? timeout = null, string? message = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestKitSettings.DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail(message ?? "condition not met before the timeout");
            Thread.Sleep(10);
        }
    }

    /// <summary>Terminates the system, waiting (generously) for every PostStop to run.</summary>
    public void Dispose()
    {
        Sys.Terminate().Wait(TestKitSettings.Dilated(TimeSpan.FromSeconds(10)));
        GC.SuppressFinalize(this);
    }
}
