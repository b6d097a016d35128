using Broker.Actors.Kernel;

namespace Broker.Actors.Tests.Kernel;

public sealed class AskTests : TestKit.TestKit
{
    private sealed class Responder : ReceiveActor
    {
        private ActorRef? _held;

        public Responder()
        {
            Receive<int>(n => Sender.Tell(n * 2));
            Receive<string>(s => Sender.Tell(Sender.Path.ToString()), s => s == "who");
            Receive<string>(s => Sender.Tell(new Status.Failure(new InvalidOperationException("boom"))), s => s == "fail");
            Receive<string>(s => _held = Sender, s => s == "hold");
            Receive<string>(s => _held?.Tell("late"), s => s == "release");
        }
    }

    [Fact]
    public async Task Ask_returns_the_reply()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>(), "responder");
        Assert.Equal(42, await responder.Ask<int>(21, TestKit.TestKitSettings.DefaultTimeout));
    }

    [Fact]
    public async Task Ask_replies_come_via_a_temporary_ref()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>(), "responder");
        var path = await responder.Ask<string>("who", TestKit.TestKitSettings.DefaultTimeout);
        Assert.StartsWith("akka://test/temp/$", path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_failure_reply_is_rethrown()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>(), "responder");
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => responder.Ask<int>("fail", TestKit.TestKitSettings.DefaultTimeout));
        Assert.Equal("boom", ex.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => responder.Ask("fail", TestKit.TestKitSettings.DefaultTimeout));
    }

    [Fact]
    public async Task Reply_of_the_wrong_type_is_an_InvalidCastException()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>(), "responder");
        await Assert.ThrowsAsync<InvalidCastException>(() => responder.Ask<string>(21, TestKit.TestKitSettings.DefaultTimeout));
    }

    [Fact]
    public async Task Ask_without_reply_times_out_and_a_late_reply_becomes_a_dead_letter()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>(), "responder");
        await Assert.ThrowsAsync<AskTimeoutException>(() => responder.Ask<string>("hold", TimeSpan.FromMilliseconds(100)));
        var before = Sys.DeadLetterCount;

        responder.Tell("release");

        AwaitCondition(() => Sys.DeadLetterCount == before + 1);
    }

    [Fact]
    public async Task Ask_to_a_stopped_actor_times_out()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>(), "responder");
        Watch(responder);
        Sys.Stop(responder);
        ExpectTerminated(responder);

        await Assert.ThrowsAsync<AskTimeoutException>(() => responder.Ask<int>(1, TimeSpan.FromMilliseconds(100)));
    }
}
