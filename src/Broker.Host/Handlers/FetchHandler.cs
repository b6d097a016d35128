using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Broker.Host.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Handlers;

/// <summary>
/// Fetch: reads committed data straight from each log's published snapshot (never queued behind
/// appends). When less than min.bytes is there, the request waits in the <see cref="FetchPurgatory"/>
/// until an append to one of its partitions or max.wait, then reads again. Only a partition's leader
/// serves fetches. A fetch from a follower (replica id &gt;= 0) reads up to the log end instead of the
/// high watermark, is told where its log diverges (DivergingEpoch, from its last fetched epoch), and
/// tells the leader's partition actor the follower's position (which moves the HW and the ISR).
/// </summary>
internal sealed class FetchHandler(BrokerNode node)
{
    public void Handle(RequestContext request)
    {
        var fetch = request.Decode<FetchRequest>();
        if (node.RaftHandlers.TryHandleFetch(request, fetch))
        {
            return; // KRaft replication of __cluster_metadata-0
        }
        if (fetch.SessionId != 0 && fetch.SessionEpoch > 0)
        {
            // No incremental fetch sessions are handed out (session id 0 on every response), so an
            // incremental fetch names a session that does not exist.
            request.Respond(new FetchResponse { ErrorCode = (short)ErrorCode.FetchSessionIdNotFound, SessionId = 0 });
            return;
        }
        ResolveTopicIds(fetch, request.ApiVersion);
        var replicaId = ReplicaIdOf(fetch, request.ApiVersion);
        // The readable ends the read stopped at (from the same snapshots): an append after them moves one, and the
        // purgatory's checks compare against them. Taken apart from the read they could disagree with it: a log
        // attached between the two (a replica starting) read as -1 and woke the fetch at once with nothing.
        var seen = fetch.MaxWaitMs > 0 && fetch.MinBytes > 0 ? new long[PartitionCount(fetch)] : null;
        var body = Read(fetch, request.ApiVersion, out var bytes, out var anyError, replicaId, seen);
        if (bytes >= fetch.MinBytes || fetch.MaxWaitMs <= 0 || anyError)
        {
            request.Respond(body);
            return;
        }
        body.Dispose();
        node.FetchPurgatory.Wait(fetch, TimeSpan.FromMilliseconds(fetch.MaxWaitMs), () => HasNewData(fetch, seen!, replicaId), () =>
        {
            if (!request.IsCompleted)
            {
                request.Respond(Read(fetch, request.ApiVersion, out _, out _, replicaId));
            }
        });
    }

    /// <summary>The fetching broker's id (-1 for a consumer): ReplicaId up to v14, ReplicaState from v15.</summary>
    private static int ReplicaIdOf(FetchRequest fetch, short version) =>
        version >= 15 ? fetch.ReplicaState.ReplicaId : fetch.ReplicaId;

    private static int PartitionCount(FetchRequest fetch)
    {
        var count = 0;
        foreach (var topic in fetch.Topics)
        {
            count += topic.Partitions.Count;
        }
        return count;
    }

    /// <summary>Each requested partition's readable end (high watermark; log end for a follower), in request order (-1 when unknown).</summary>
    private long[] HighWatermarks(FetchRequest fetch, int replicaId)
    {
        var marks = new long[PartitionCount(fetch)];
        var i = 0;
        foreach (var topic in fetch.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                marks[i++] = topic.Topic.Length > 0 && node.Replicas.Get(topic.Topic, partition.Partition) is { Log: { } log } handle
                    ? replicaId >= 0 ? log.Current.LogEndOffset : log.Current.HighWatermark
                    : -1;
            }
        }
        return marks;
    }

    /// <summary>True when any requested partition's high watermark moved since <paramref name="seen"/>.</summary>
    private bool HasNewData(FetchRequest fetch, long[] seen, int replicaId)
    {
        var now = HighWatermarks(fetch, replicaId);
        for (var i = 0; i < now.Length; i++)
        {
            if (now[i] > seen[i])
            {
                return true;
            }
        }
        return false;
    }

    private void ResolveTopicIds(FetchRequest fetch, short version)
    {
        if (version < 13)
        {
            return;
        }
        var image = node.Metadata.Current;
        foreach (var topic in fetch.Topics)
        {
            topic.Topic = image.Topic(topic.TopicId)?.Name ?? string.Empty;
        }
    }

    /// <param name="anyError">A partition's answer cannot wait (an error, a diverging epoch): respond now.</param>
    /// <param name="readableEnds">When given, filled in request order with the readable end each partition was read
    /// up to (-1 for one not read).</param>
    internal FetchResponseBody Read(FetchRequest fetch, short version, out int totalBytes, out bool anyError, int replicaId = -1, long[]? readableEnds = null)
    {
        var index = -1;
        var fetchTimeMs = replicaId >= 0 ? TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() : 0;
        var response = new FetchResponse { SessionId = 0 };
        var body = new FetchResponseBody(response);
        var budget = fetch.MaxBytes <= 0 ? int.MaxValue : fetch.MaxBytes;
        totalBytes = 0;
        anyError = false;
        var image = node.Metadata.Current;
        foreach (var topic in fetch.Topics)
        {
            var topicResponse = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic, TopicId = topic.TopicId };
            response.Responses.Add(topicResponse);
            var known = topic.Topic.Length > 0 && image.Topic(topic.Topic) is not null;
            foreach (var partition in topic.Partitions)
            {
                index++;
                if (readableEnds is not null)
                {
                    readableEnds[index] = -1;
                }
                var data = new FetchResponse.PartitionData
                {
                    PartitionIndex = partition.Partition,
                    AbortedTransactions = fetch.IsolationLevel == 1 ? [] : null,
                };
                topicResponse.Partitions.Add(data);
                var handle = known ? node.Replicas.Get(topic.Topic, partition.Partition) : null;
                var log = handle?.Log;
                if (log is null)
                {
                    data.ErrorCode = (short)(!known && version >= 13 ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition);
                    data.HighWatermark = -1;
                    anyError = true;
                    continue;
                }
                var state = handle!.State;
                var epochError = state.IsLeader ? state.CheckEpoch(partition.CurrentLeaderEpoch) : ErrorCode.NotLeaderOrFollower;
                if (epochError != ErrorCode.None)
                {
                    data.ErrorCode = (short)epochError;
                    data.HighWatermark = -1;
                    data.CurrentLeader = new FetchResponse.LeaderIdAndEpoch { LeaderId = state.LeaderId, LeaderEpoch = state.LeaderEpoch };
                    anyError = true;
                    continue;
                }
                var snapshot = log.Current;
                data.HighWatermark = snapshot.HighWatermark;
                data.LastStableOffset = snapshot.HighWatermark;
                data.LogStartOffset = snapshot.LogStartOffset;
                if (replicaId >= 0 && !ReplicaFetchPosition(handle, log, partition, replicaId, fetchTimeMs, data))
                {
                    anyError = true; // a diverging epoch is answered at once, as Kafka does
                    continue;
                }
                var readableEnd = replicaId >= 0 ? snapshot.LogEndOffset : snapshot.HighWatermark;
                if (readableEnds is not null)
                {
                    readableEnds[index] = readableEnd;
                }
                var maxBytes = Math.Min(partition.PartitionMaxBytes, budget);
                if (maxBytes <= 0 && totalBytes > 0)
                {
                    data.Records = ReadOnlyMemory<byte>.Empty;
                    continue;
                }
                var result = log.Read(partition.FetchOffset, Math.Max(maxBytes, 0), readableEnd, minOneMessage: totalBytes == 0);
                if (result.ErrorCode != 0)
                {
                    data.ErrorCode = (short)result.ErrorCode;
                    result.Dispose();
                    anyError = true;
                    continue;
                }
                data.Records = result.Records;
                body.Own(result);
                totalBytes += result.Length;
                budget -= result.Length;
            }
        }
        return body;
    }

    /// <summary>
    /// A follower's fetch: when its last fetched epoch ends (here) before its fetch offset, its tail
    /// diverges, and the answer is the epoch's end instead of records (Kafka's DivergingEpoch, v12+).
    /// Otherwise its fetch offset acknowledges everything below it: the partition actor records that.
    /// </summary>
    private static bool ReplicaFetchPosition(PartitionHandle handle, Log log, FetchRequest.FetchPartition partition, int replicaId, long fetchTimeMs, FetchResponse.PartitionData data)
    {
        if (partition.LastFetchedEpoch >= 0)
        {
            var (epoch, endOffset) = log.LeaderEpochCache.EndOffsetFor(partition.LastFetchedEpoch, log.LogEndOffset);
            if (epoch < partition.LastFetchedEpoch || endOffset < partition.FetchOffset)
            {
                data.DivergingEpoch = new FetchResponse.EpochEndOffset { Epoch = epoch, EndOffset = endOffset };
                data.Records = ReadOnlyMemory<byte>.Empty;
                return false;
            }
        }
        handle.Actor.Tell(new FollowerFetched(replicaId, partition.FetchOffset, fetchTimeMs, partition.CurrentLeaderEpoch));
        return true;
    }
}

/// <summary>A fetch response whose record bytes live in pooled read buffers, returned after the write.</summary>
internal sealed class FetchResponseBody(FetchResponse response) : IResponseBody, IDisposable
{
    private readonly List<LogReadResult> _reads = [];

    public FetchResponse Response { get; } = response;

    public void Own(LogReadResult read) => _reads.Add(read);

    public int Size(short apiVersion) => Response.Size(apiVersion);

    public void Write(ref KafkaWriter writer, short apiVersion) => Response.Write(ref writer, apiVersion);

    public void Dispose()
    {
        foreach (var read in _reads)
        {
            read.Dispose();
        }
        _reads.Clear();
    }
}
