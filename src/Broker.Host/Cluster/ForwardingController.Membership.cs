using Broker.Actors.Metadata;
using Broker.Protocol.Messages;

namespace Broker.Host.Cluster;

/// <summary>Cluster leave and down (<c>brokerctl cluster leave|down</c>): decided by the active controller
/// (ControllerActor.Membership.cs), reached over the wire as ControlledShutdown (7) and UnregisterBroker (64).
/// Both throw <see cref="NotControllerException"/> when no active controller answered within
/// <see cref="MembershipTimeout"/>; an accepted change is waited for in this node's image, so a members view read
/// here next shows it.</summary>
public sealed partial class ForwardingController
{
    /// <summary>Shorter than <see cref="ForwardTimeout"/>: an operator waits on the answer (and brokerctl gives up after 30 s).</summary>
    public static readonly TimeSpan MembershipTimeout = TimeSpan.FromSeconds(8);

    public async Task<MembershipReply> LeaveBrokerAsync(int brokerId, long brokerEpoch)
    {
        var reply = await RouteAsync(c => c.LeaveBrokerAsync(brokerId, brokerEpoch), async () =>
        {
            var request = new ControlledShutdownRequest { BrokerId = brokerId, BrokerEpoch = brokerEpoch };
            var response = await _channel.SendAsync<ControlledShutdownResponse>(request, ControlledShutdownRequest.HighestVersion).ConfigureAwait(false);
            if (response is null || response.ErrorCode == (short)ErrorCode.NotController)
            {
                return null;
            }
            IReadOnlyList<(string, int)> remaining = [.. response.RemainingPartitions.Select(p => (p.TopicName, p.PartitionIndex))];
            return new MembershipReply((ErrorCode)response.ErrorCode, MembershipMessage((ErrorCode)response.ErrorCode, brokerId, "leave", remaining.Count), remaining);
        }, MembershipTimeout).ConfigureAwait(false)
            ?? throw new NotControllerException("There is no active controller.");
        if (reply.Error == ErrorCode.None)
        {
            await _publisher.WaitForAsync(image => !image.Brokers.TryGetValue(brokerId, out var b) || b.InControlledShutdown || b.Fenced, ImageWait).ConfigureAwait(false);
        }
        return reply;
    }

    public async Task<MembershipReply> DownBrokerAsync(int brokerId)
    {
        var epoch = _publisher.Current.Brokers.TryGetValue(brokerId, out var before) ? before.BrokerEpoch : -1;
        var reply = await RouteAsync(c => c.DownBrokerAsync(brokerId), async () =>
        {
            var response = await _channel.SendAsync<UnregisterBrokerResponse>(new UnregisterBrokerRequest { BrokerId = brokerId }, UnregisterBrokerRequest.HighestVersion)
                .ConfigureAwait(false);
            if (response is null || response.ErrorCode == (short)ErrorCode.NotController)
            {
                return null;
            }
            var code = (ErrorCode)response.ErrorCode;
            return new MembershipReply(code, response.ErrorMessage ?? MembershipMessage(code, brokerId, "down", 0), []);
        }, MembershipTimeout).ConfigureAwait(false)
            ?? throw new NotControllerException("There is no active controller.");
        if (reply.Error == ErrorCode.None)
        {
            // Fenced, or already registered again by a live process (a new epoch).
            await _publisher.WaitForAsync(image => !image.Brokers.TryGetValue(brokerId, out var b) || b.Fenced || b.BrokerEpoch != epoch, ImageWait)
                .ConfigureAwait(false);
        }
        return reply;
    }

    /// <summary>The text of a membership answer that came over the wire without one (ControlledShutdown has no message field).</summary>
    internal static string MembershipMessage(ErrorCode code, int brokerId, string operation, int remaining) => code switch
    {
        ErrorCode.None => operation == "leave"
            ? $"broker {brokerId} is leaving: its leaderships moved away" + (remaining > 0 ? $" ({remaining} without another in-sync replica stay)" : "")
                + "; it shuts down after its next heartbeat"
            : $"broker {brokerId} is down: fenced, its leaderships moved away",
        ErrorCode.BrokerIdNotRegistered => $"broker {brokerId} is not registered",
        ErrorCode.BrokerNotAvailable => $"broker {brokerId} is already fenced",
        ErrorCode.StaleBrokerEpoch => $"broker {brokerId} registered again meanwhile",
        ErrorCode.InvalidRequest => $"{operation} of broker {brokerId} refused: no other broker is left to lead",
        _ => $"{operation} of broker {brokerId} failed: {code}",
    };
}
