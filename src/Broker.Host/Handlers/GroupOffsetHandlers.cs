using Broker.Actors.Group;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>OffsetCommit, OffsetFetch and OffsetDelete: checked here against the metadata image, kept and persisted by the group's shard.</summary>
internal sealed partial class GroupHandlers
{
    private const int OffsetMetadataMaxBytes = 4096;

    public async ValueTask OffsetCommitAsync(RequestContext request)
    {
        var commit = request.Decode<OffsetCommitRequest>();
        var generation = request.ApiVersion >= 1 ? commit.GenerationIdOrMemberEpoch : -1;
        var image = node.Metadata.Current;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var accepted = new List<OffsetToCommit>();
        var response = new OffsetCommitResponse();
        foreach (var topic in commit.Topics)
        {
            var topicResponse = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            var known = image.Topic(topic.Name);
            foreach (var p in topic.Partitions)
            {
                var error = ErrorCode.None;
                if (known is null || p.PartitionIndex < 0 || p.PartitionIndex >= known.Partitions.Length)
                {
                    error = ErrorCode.UnknownTopicOrPartition;
                }
                else if (p.CommittedMetadata is { Length: > OffsetMetadataMaxBytes })
                {
                    error = ErrorCode.OffsetMetadataTooLarge;
                }
                else
                {
                    accepted.Add(new OffsetToCommit(topic.Name, p.PartitionIndex, new CommittedOffset(p.CommittedOffset, p.CommittedLeaderEpoch, p.CommittedMetadata ?? string.Empty, now)));
                }
                topicResponse.Partitions.Add(new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)error });
            }
            response.Topics.Add(topicResponse);
        }
        // The shard checks the generation of a classic group, or the member epoch of a KIP-848 group.
        await SendAsync(new CommitOffsets(commit.GroupId, generation, commit.MemberId, commit.GroupInstanceId, accepted, error =>
        {
            if (error != ErrorCode.None)
            {
                // A group error (generation, member, coordinator) or a failed write: no partition was committed.
                foreach (var t in response.Topics)
                {
                    foreach (var p in t.Partitions)
                    {
                        p.ErrorCode = (short)error;
                    }
                }
            }
            request.Respond(response);
        }) { ApiVersion = request.ApiVersion }).ConfigureAwait(false);
    }

    public async ValueTask OffsetFetchAsync(RequestContext request)
    {
        var fetch = request.Decode<OffsetFetchRequest>();
        var coordinator = await CoordinatorAsync().ConfigureAwait(false);
        if (request.ApiVersion >= 8)
        {
            FanOut<FetchOffsetsResult>(fetch.Groups.Count, (i, done) =>
            {
                var group = fetch.Groups[i];
                // v9+: the member's epoch, which the shard checks against a KIP-848 group.
                Send(coordinator, new FetchOffsets(group.GroupId, group.Topics?.Select(t => (t.Name, (IReadOnlyList<int>)t.PartitionIndexes)).ToList(), fetch.RequireStable, done)
                {
                    MemberId = request.ApiVersion >= 9 ? group.MemberId : null,
                    MemberEpoch = request.ApiVersion >= 9 ? group.MemberEpoch : -1,
                });
            }, results =>
            {
                var response = new OffsetFetchResponse();
                for (var i = 0; i < results.Length; i++)
                {
                    var groupResponse = new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = fetch.Groups[i].GroupId, ErrorCode = (short)results[i].Error };
                    foreach (var byTopic in results[i].Offsets.GroupBy(o => o.Topic))
                    {
                        var t = new OffsetFetchResponse.OffsetFetchResponseTopics { Name = byTopic.Key };
                        foreach (var (_, partition, offset) in byTopic)
                        {
                            t.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartitions
                            {
                                PartitionIndex = partition,
                                CommittedOffset = offset?.Offset ?? -1,
                                CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
                                Metadata = offset?.Metadata ?? string.Empty,
                            });
                        }
                        groupResponse.Topics.Add(t);
                    }
                    response.Groups.Add(groupResponse);
                }
                request.Respond(response);
            });
            return;
        }
        var topics = fetch.Topics?.Select(t => (t.Name, (IReadOnlyList<int>)t.PartitionIndexes)).ToList();
        Send(coordinator, new FetchOffsets(fetch.GroupId, topics, request.ApiVersion >= 7 && fetch.RequireStable, result =>
        {
            var response = new OffsetFetchResponse { ErrorCode = (short)result.Error };
            foreach (var byTopic in result.Offsets.GroupBy(o => o.Topic))
            {
                var t = new OffsetFetchResponse.OffsetFetchResponseTopic { Name = byTopic.Key };
                foreach (var (_, partition, offset) in byTopic)
                {
                    t.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartition
                    {
                        PartitionIndex = partition,
                        CommittedOffset = offset?.Offset ?? -1,
                        CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
                        Metadata = offset?.Metadata ?? string.Empty,
                        // v0-1 have no top-level error: the group's error goes on every partition.
                        ErrorCode = request.ApiVersion < 2 ? (short)result.Error : (short)0,
                    });
                }
                response.Topics.Add(t);
            }
            request.Respond(response);
        }));
    }

    /// <summary>
    /// OffsetDelete (API 47): partitions the cluster does not have are answered UNKNOWN_TOPIC_OR_PARTITION
    /// before the group is asked (as Kafka's request handler); the shard decides the rest
    /// (GROUP_SUBSCRIBED_TO_TOPIC, NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND) and writes the tombstones.
    /// </summary>
    public async ValueTask OffsetDeleteAsync(RequestContext request)
    {
        var delete = request.Decode<OffsetDeleteRequest>();
        var image = node.Metadata.Current;
        var known = new List<(string, int)>();
        var unknown = new List<(string Topic, int Partition)>();
        foreach (var t in delete.Topics)
        {
            var topic = image.Topic(t.Name);
            foreach (var p in t.Partitions)
            {
                (topic is not null && p.PartitionIndex >= 0 && p.PartitionIndex < topic.Partitions.Length ? known : unknown).Add((t.Name, p.PartitionIndex));
            }
        }
        await SendAsync(new DeleteOffsets(delete.GroupId, known, result =>
        {
            var response = new OffsetDeleteResponse { ErrorCode = (short)result.Error };
            if (result.Error == ErrorCode.None)
            {
                var all = result.Partitions.Concat(unknown.Select(u => (u.Topic, u.Partition, Error: ErrorCode.UnknownTopicOrPartition)));
                foreach (var byTopic in all.GroupBy(p => p.Topic))
                {
                    var t = new OffsetDeleteResponse.OffsetDeleteResponseTopic { Name = byTopic.Key };
                    foreach (var (_, partition, error) in byTopic)
                    {
                        t.Partitions.Add(new OffsetDeleteResponse.OffsetDeleteResponsePartition { PartitionIndex = partition, ErrorCode = (short)error });
                    }
                    response.Topics.Add(t);
                }
            }
            request.Respond(response);
        })).ConfigureAwait(false);
    }

    private static void Send(GroupCoordinator? coordinator, GroupRequest message)
    {
        if (coordinator is null)
        {
            message.Fail(ErrorCode.CoordinatorNotAvailable);
        }
        else
        {
            coordinator.Send(message);
        }
    }
}
