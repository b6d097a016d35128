using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Actors.Group;

/// <summary>The "consumer" embedded protocol: what a member's JoinGroup metadata says it subscribes to.</summary>
public static class ConsumerProtocol
{
    public const string ProtocolType = "consumer";

    /// <summary>Adds the subscription's topics; false when the bytes are not a ConsumerProtocolSubscription.</summary>
    public static bool TryAddSubscribedTopics(ReadOnlyMemory<byte> metadata, HashSet<string> topics)
    {
        if (metadata.Length < 2)
        {
            return false;
        }
        try
        {
            var reader = new KafkaReader(metadata);
            var version = reader.ReadInt16();
            // Newer versions only add fields at the end, so read them as the highest we know.
            var subscription = new ConsumerProtocolSubscription();
            subscription.Read(ref reader, Math.Min(version, ConsumerProtocolSubscription.HighestVersion));
            topics.UnionWith(subscription.Topics);
            return version >= 0;
        }
        catch (ProtocolException)
        {
            return false;
        }
    }
}
