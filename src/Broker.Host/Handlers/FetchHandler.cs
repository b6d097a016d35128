using Broker.Actors.Storage;
using Broker.Host.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Host.Handlers;

/// <summary>
/// Fetch: reads committed data straight from each log's published snapshot (never queued behind
/// appends). When less than min.bytes is there, the request waits in the <see cref="FetchPurgatory"/>
/// until an append to one of its partitions or max.wait, then reads again.
/// </summary>
internal sealed class FetchHandler(BrokerNode node)
{
    public void Handle(RequestContext request)
    {
        var fetch = request.Decode<FetchRequest>();
        if (fetch.SessionId != 0 && fetch.SessionEpoch > 0)
        {
            // No incremental fetch sessions are handed out (session id 0 on every response), so an
            // incremental fetch names a session that does not exist.
            request.Respond(new FetchResponse { ErrorCode = (short)ErrorCode.FetchSessionIdNotFound, SessionId = 0 });
            return;
        }
        ResolveTopicIds(fetch, request.ApiVersion);
        // High watermarks before the read: the purgatory re-check after registering compares against them.
        var seen = fetch.MaxWaitMs > 0 && fetch.MinBytes > 0 ? HighWatermarks(fetch) : null;
        var body = Read(fetch, request.ApiVersion, out var bytes, out var anyError);
        if (bytes >= fetch.MinBytes || fetch.MaxWaitMs <= 0 || anyError)
        {
            request.Respond(body);
            return;
        }
        body.Dispose();
        node.FetchPurgatory.Wait(fetch, TimeSpan.FromMilliseconds(fetch.MaxWaitMs), () => HasNewData(fetch, seen!), () =>
        {
            if (!request.IsCompleted)
            {
                request.Respond(Read(fetch, request.ApiVersion, out _, out _));
            }
        });
    }

    /// <summary>Each requested partition's high watermark, in request order (-1 when unknown).</summary>
    private long[] HighWatermarks(FetchRequest fetch)
    {
        var count = 0;
        foreach (var topic in fetch.Topics)
        {
            count += topic.Partitions.Count;
        }
        var marks = new long[count];
        var i = 0;
        foreach (var topic in fetch.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                marks[i++] = topic.Topic.Length > 0 && node.Replicas.Get(topic.Topic, partition.Partition)?.Log is { } log
                    ? log.Current.HighWatermark
                    : -1;
            }
        }
        return marks;
    }

    /// <summary>True when any requested partition's high watermark moved since <paramref name="seen"/>.</summary>
    private bool HasNewData(FetchRequest fetch, long[] seen)
    {
        var now = HighWatermarks(fetch);
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

    internal FetchResponseBody Read(FetchRequest fetch, short version, out int totalBytes, out bool anyError)
    {
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
                var data = new FetchResponse.PartitionData
                {
                    PartitionIndex = partition.Partition,
                    AbortedTransactions = fetch.IsolationLevel == 1 ? [] : null,
                };
                topicResponse.Partitions.Add(data);
                var log = known ? node.Replicas.Get(topic.Topic, partition.Partition)?.Log : null;
                if (log is null)
                {
                    data.ErrorCode = (short)(!known && version >= 13 ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition);
                    data.HighWatermark = -1;
                    anyError = true;
                    continue;
                }
                var snapshot = log.Current;
                data.HighWatermark = snapshot.HighWatermark;
                data.LastStableOffset = snapshot.HighWatermark;
                data.LogStartOffset = snapshot.LogStartOffset;
                var maxBytes = Math.Min(partition.PartitionMaxBytes, budget);
                if (maxBytes <= 0 && totalBytes > 0)
                {
                    data.Records = ReadOnlyMemory<byte>.Empty;
                    continue;
                }
                var result = log.Read(partition.FetchOffset, Math.Max(maxBytes, 0), snapshot.HighWatermark, minOneMessage: totalBytes == 0);
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
