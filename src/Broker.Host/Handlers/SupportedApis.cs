using Broker.Host.Network;
using Broker.Protocol.Messages;
using ProtocolApiVersions = Broker.Protocol.Messages.ApiVersionTable;

namespace Broker.Host.Handlers;

/// <summary>
/// The APIs and versions this broker honours, as ApiVersions advertises them. Ranges are ours; the
/// flexible-version thresholds come from Kafka's specs. Advertise only what the handlers serve.
/// </summary>
internal static class SupportedApis
{
    private static readonly (ApiKey Key, short Min, short Max)[] Served =
    [
        (ApiKey.Produce, 0, 11),          // v0-2 legacy message sets are converted to v2 batches; librdkafka needs v0 in range for gzip/snappy
        (ApiKey.Fetch, 0, 17),            // v0-3 get the stored v2 batches as they are (old clients are rare)
        (ApiKey.ListOffsets, 0, 8),
        (ApiKey.Metadata, 0, 12),
        (ApiKey.ApiVersions, 0, 4),
        (ApiKey.CreateTopics, 0, 7),
        (ApiKey.DeleteTopics, 0, 6),
        (ApiKey.CreatePartitions, 0, 3),
        (ApiKey.InitProducerId, 0, 5),
        (ApiKey.DescribeConfigs, 0, 4),
        (ApiKey.AlterConfigs, 0, 2),
        (ApiKey.IncrementalAlterConfigs, 0, 1),
        (ApiKey.DescribeCluster, 0, 1),
        (ApiKey.DeleteRecords, 0, 2),
        (ApiKey.DescribeLogDirs, 0, 4),
        (ApiKey.FindCoordinator, 0, 5),   // v0 advertised: librdkafka enables lz4 only then; v6 (share groups) not served
        (ApiKey.JoinGroup, 0, 9),
        (ApiKey.SyncGroup, 0, 5),
        (ApiKey.Heartbeat, 0, 4),
        (ApiKey.LeaveGroup, 0, 5),
        (ApiKey.OffsetCommit, 0, 9),
        (ApiKey.OffsetFetch, 0, 9),
        (ApiKey.ListGroups, 0, 5),
        (ApiKey.DescribeGroups, 0, 5),
        (ApiKey.DeleteGroups, 0, 2),
        (ApiKey.OffsetDelete, 0, 0),
        (ApiKey.ConsumerGroupHeartbeat, 0, 0),   // KIP-848; v1 (regex subscriptions) is unstable in these specs
        (ApiKey.ConsumerGroupDescribe, 0, 0),
        (ApiKey.OffsetForLeaderEpoch, 0, 4), // leader epoch cache; consumers' truncation detection (KIP-320)
        (ApiKey.AlterPartition, 0, 3),       // ISR changes from partition leaders to the controller
        (ApiKey.BrokerRegistration, 0, 4),
        (ApiKey.BrokerHeartbeat, 0, 1),
        (ApiKey.AllocateProducerIds, 0, 0),
        (ApiKey.ElectLeaders, 0, 2),                 // forwarded to the active controller, as the two below
        (ApiKey.AlterPartitionReassignments, 0, 0),
        (ApiKey.ListPartitionReassignments, 0, 0),
        (ApiKey.ControlledShutdown, 1, 3),           // cluster leave of the named broker (v0's header has no client id)
        (ApiKey.UnregisterBroker, 0, 0),             // cluster down: fenced at once (the registration stays, fenced)
    ];

    public static Network.ApiVersionTable Build(IEnumerable<(ApiKey Key, short Min, short Max)>? extra = null) =>
        new(Served.Concat(RaftHandlers.Apis).Concat(extra ?? []).Select(s =>
        {
            var spec = ProtocolApiVersions.Get(s.Key);
            return new ApiVersionRange((short)s.Key, s.Min, s.Max, spec.FirstFlexibleVersion);
        }));
}
