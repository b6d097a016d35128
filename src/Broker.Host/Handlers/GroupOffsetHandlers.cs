using Broker.Actors.Group;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>OffsetCommit and OffsetFetch: offsets are held by the coordinator and persisted in __consumer_offsets first.</summary>
internal sealed partial class GroupHandlers
{
    private const int OffsetMetadataMaxBytes = 4096;

    public async ValueTask OffsetCommitAsync(RequestContext request)
    {
        var commit = request.Decode<OffsetCommitRequest>();
        var generation = request.ApiVersion >= 1 ? commit.GenerationIdOrMemberEpoch : -1;
        // A consumer-protocol group checks the member epoch; any other group the classic generation.
        var groupError = (await TryLoadConsumerGroupsAsync().ConfigureAwait(false)
                ? ConsumerGroups.ValidateOffsetCommit(commit.GroupId, commit.MemberId, generation, request.ApiVersion)
                : null)
            ?? Coordinator.ValidateCommit(commit.GroupId, generation, commit.MemberId, commit.GroupInstanceId);
        var image = node.Metadata.Current;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var accepted = new List<(string, int, CommittedOffset)>();
        var response = new OffsetCommitResponse();
        foreach (var topic in commit.Topics)
        {
            var topicResponse = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            var known = image.Topic(topic.Name);
            foreach (var p in topic.Partitions)
            {
                var error = groupError;
                if (error == ErrorCode.None)
                {
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
                        accepted.Add((topic.Name, p.PartitionIndex, new CommittedOffset(p.CommittedOffset, p.CommittedLeaderEpoch, p.CommittedMetadata ?? string.Empty, now)));
                    }
                }
                topicResponse.Partitions.Add(new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)error });
            }
            response.Topics.Add(topicResponse);
        }
        if (accepted.Count > 0)
        {
            // Answer only once the records are in the log: a commit that was acknowledged survives a restart.
            var stored = await OffsetsLog.AppendAsync(commit.GroupId, accepted.Select(a => (a.Item1, a.Item2, (CommittedOffset?)a.Item3)).ToList()).ConfigureAwait(false);
            if (stored == ErrorCode.None)
            {
                Coordinator.StoreOffsets(commit.GroupId, accepted);
            }
            else
            {
                foreach (var t in response.Topics)
                {
                    foreach (var p in t.Partitions.Where(p => p.ErrorCode == 0))
                    {
                        p.ErrorCode = (short)stored;
                    }
                }
            }
        }
        request.Respond(response);
    }

    public async ValueTask OffsetFetchAsync(RequestContext request)
    {
        var fetch = request.Decode<OffsetFetchRequest>();
        var response = new OffsetFetchResponse();
        try
        {
            await OffsetsLog.EnsureReadyAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Offsets not loaded yet: Kafka answers COORDINATOR_LOAD_IN_PROGRESS and the client retries.
            if (request.ApiVersion >= 8)
            {
                foreach (var group in fetch.Groups)
                {
                    response.Groups.Add(new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = group.GroupId, ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress });
                }
            }
            else
            {
                response.ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress;
            }
            request.Respond(response);
            return;
        }
        if (request.ApiVersion >= 8)
        {
            foreach (var group in fetch.Groups)
            {
                var groupResponse = new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = group.GroupId };
                if (string.IsNullOrEmpty(group.GroupId))
                {
                    groupResponse.ErrorCode = (short)ErrorCode.InvalidGroupId;
                    response.Groups.Add(groupResponse);
                    continue;
                }
                if (request.ApiVersion >= 9 && ConsumerGroups.ValidateOffsetFetch(group.GroupId, group.MemberId, group.MemberEpoch) is { } memberError
                    && memberError != ErrorCode.None)
                {
                    groupResponse.ErrorCode = (short)memberError;
                    response.Groups.Add(groupResponse);
                    continue;
                }
                var offsets = Coordinator.FetchOffsets(group.GroupId, group.Topics?.Select(t => (t.Name, (IEnumerable<int>)t.PartitionIndexes)));
                foreach (var byTopic in offsets.GroupBy(o => o.Topic))
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
            return;
        }
        if (string.IsNullOrEmpty(fetch.GroupId))
        {
            response.ErrorCode = (short)ErrorCode.InvalidGroupId;
            request.Respond(response);
            return;
        }
        var all = Coordinator.FetchOffsets(fetch.GroupId, fetch.Topics?.Select(t => (t.Name, (IEnumerable<int>)t.PartitionIndexes)));
        foreach (var byTopic in all.GroupBy(o => o.Topic))
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
                });
            }
            response.Topics.Add(t);
        }
        request.Respond(response);
    }
}
