using System.Collections.Concurrent;
using Broker.Actors.Kernel;

namespace Broker.Actors.Tests.TestKit;

/// <summary>
/// A real actor that records every message it receives, with blocking expectations for the test
/// thread. Being a real actor it can be watched, can watch, and is a proper Sender for replies.
/// </summary>
public sealed class TestProbe
{
    private readonly BlockingCollection<(object Message, ActorRef Sender)> _received = [];

    internal TestProbe(ActorSystem system, string? name)
    {
        System = system;
        Ref = system.ActorOf(Props.Create(() => new ProbeActor(_received)), name);
        LastSender = system.DeadLetters;
    }

    /// <summary>The probe's actor ref: pass it as a recipient or sender.</summary>
    public ActorRef Ref { get; }

    /// <summary>The system the probe lives in.</summary>
    public ActorSystem System { get; }

    /// <summary>Sender of the last message taken by an expectation.</summary>
    public ActorRef LastSender { get; private set; }

    /// <summary>Sends with the probe as sender, so replies come back to the probe.</summary>
    public void Send(ActorRef target, object message) => target.Tell(message, Ref);

    /// <summary>Replies to <see cref="LastSender"/>.</summary>
    public void Reply(object message) => LastSender.Tell(message, Ref);

    /// <summary>Forwards a message keeping <see cref="LastSender"/> as its sender.</summary>
    public void Forward(ActorRef target, object message) => target.Forward(message, LastSender);

    /// <summary>The next message, which must be a <typeparamref name="T"/>.</summary>
    public T ExpectMsg<T>(TimeSpan? timeout = null)
    {
        var message = Next(timeout, typeof(T).Name);
        return message is T typed ? typed : Fail<T>($"expected {typeof(T).Name} but got {Describe(message)}");
    }

    /// <summary>The next message, which must equal <paramref name="expected"/>.</summary>
    public T ExpectMsg<T>(T expected, TimeSpan? timeout = null) where T : notnull
    {
        var message = Next(timeout, expected.ToString() ?? typeof(T).Name);
        return message is T typed && EqualityComparer<T>.Default.Equals(typed, expected)
            ? typed
            : Fail<T>($"expected {expected} but got {Describe(message)}");
    }

    /// <summary>The next message, which must be a <typeparamref name="T"/> matching <paramref name="predicate"/>.</summary>
    public T ExpectMsg<T>(Predicate<T> predicate, TimeSpan? timeout = null)
    {
        var message = Next(timeout, typeof(T).Name);
        return message is T typed && predicate(typed)
            ? typed
            : Fail<T>($"expected {typeof(T).Name} matching the predicate but got {Describe(message)}");
    }

    /// <summary>The next messages are exactly <paramref name="expected"/>, in any order (for messages from different actors).</summary>
    public IReadOnlyList<T> ExpectMsgAllOf<T>(params T[] expected) where T : notnull
    {
        var missing = new List<T>(expected);
        var received = new List<T>(expected.Length);
        var deadline = DateTime.UtcNow + TestKitSettings.DefaultTimeout;
        while (missing.Count > 0)
        {
            var left = deadline - DateTime.UtcNow;
            var message = Next(left > TimeSpan.Zero ? left : TimeSpan.Zero, string.Join(", ", missing));
            if (message is not T typed || !missing.Remove(typed))
                Assert.Fail($"expected one of [{string.Join(", ", missing)}] but got {Describe(message)}");
            else
                received.Add(typed);
        }

        return received;
    }

    /// <summary>Fails if any message arrives within <paramref name="duration"/>.</summary>
    public void ExpectNoMsg(TimeSpan duration)
    {
        if (_received.TryTake(out var item, TestKitSettings.Dilated(duration)))
            Assert.Fail($"expected no message within {duration} but got {Describe(item.Message)}");
    }

    /// <summary>The next <paramref name="count"/> messages, all within one overall timeout.</summary>
    public IReadOnlyList<object> ReceiveN(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestKitSettings.DefaultTimeout);
        var list = new List<object>(count);
        while (list.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left < TimeSpan.Zero || !_received.TryTake(out var item, left))
                Assert.Fail($"expected {count} messages but got {list.Count} before the timeout");
            else
            {
                LastSender = item.Sender;
                list.Add(item.Message);
            }
        }

        return list;
    }

    /// <summary>Watches <paramref name="target"/> from the probe; returns once the watch is in place.</summary>
    public void Watch(ActorRef target)
    {
        using var done = new ManualResetEventSlim();
        Ref.Tell(new ProbeActor.WatchCommand(target, done));
        if (!done.Wait(TestKitSettings.DefaultTimeout))
            Assert.Fail("probe did not process the watch command");
    }

    /// <summary>Expects the <see cref="Terminated"/> of a watched actor.</summary>
    public Terminated ExpectTerminated(ActorRef target, TimeSpan? timeout = null) =>
        ExpectMsg<Terminated>(t => t.ActorRef == target, timeout);

    private object Next(TimeSpan? timeout, string expected)
    {
        var wait = timeout ?? TestKitSettings.DefaultTimeout;
        if (!_received.TryTake(out var item, wait))
            Assert.Fail($"timeout ({wait}) waiting for {expected}");
        LastSender = item.Sender;
        return item.Message;
    }

    private static T Fail<T>(string message)
    {
        Assert.Fail(message);
        return default!;
    }

    private static string Describe(object message) => $"{message.GetType().Name} ({message})";

    private sealed class ProbeActor(BlockingCollection<(object, ActorRef)> sink) : ActorBase
    {
        protected override void OnReceive(object message)
        {
            if (message is WatchCommand watch)
            {
                Context.Watch(watch.Target);
                watch.Done.Set();
                return;
            }

            sink.Add((message, Sender));
        }

        internal sealed record WatchCommand(ActorRef Target, ManualResetEventSlim Done);
    }
}
