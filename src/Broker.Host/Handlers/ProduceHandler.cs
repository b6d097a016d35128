using System.Buffers;
using System.Runtime.InteropServices;
using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Broker.Host.Network;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;
using Broker.Protocol.Records;

namespace Broker.Host.Handlers;

/// <summary>
/// Produce: each partition's batches go to the partition actor that owns the log (the single
/// writer); one <see cref="ProduceCompletion"/> per request gathers the results and answers once
/// every partition has (acks=0 gets no answer at all). Only the partition's leader accepts produces;
/// with acks=all a partition whose high watermark does not yet cover the batch waits in the
/// <see cref="ProducePurgatory"/> until the ISR has it.
/// </summary>
internal sealed class ProduceHandler(BrokerNode node)
{
    public void Handle(RequestContext request)
    {
        var produce = request.Decode<ProduceRequest>();
        var response = new ProduceResponse();
        var completion = new ProduceCompletion(request, response, produce.Acks, node.ProducePurgatory, TimeSpan.FromMilliseconds(Math.Max(0, produce.TimeoutMs)));
        var slot = 0;
        var pending = new List<(PartitionHandle Handle, Memory<byte> Records, int Slot)>();
        foreach (var topic in produce.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topic.Name };
            response.Responses.Add(topicResponse);
            var known = node.Metadata.Current.Topic(topic.Name) is not null;
            foreach (var partition in topic.PartitionData)
            {
                var result = new ProduceResponse.PartitionProduceResponse { Index = partition.Index, BaseOffset = -1 };
                topicResponse.PartitionResponses.Add(result);
                var error = Validate(produce, topic.Name, known, partition, out var handle);
                completion.Register(result, handle);
                if (error != ErrorCode.None)
                {
                    result.ErrorCode = (short)error;
                    if (error == ErrorCode.NotLeaderOrFollower)
                    {
                        HintLeader(response, result, handle!);
                    }
                    slot++;
                    continue;
                }
                var records = MemoryMarshal.AsMemory(partition.Records!.Value);
                if (request.ApiVersion < 3 && !TryConvertLegacy(records, out records))
                {
                    result.ErrorCode = (short)ErrorCode.CorruptMessage;
                    slot++;
                    continue;
                }
                pending.Add((handle!, records, slot++));
            }
        }
        completion.Expect(pending.Count);
        foreach (var (handle, records, s) in pending)
        {
            handle.Actor.Tell(new AppendToLog(records, produce.Acks, completion, s));
        }
    }

    /// <summary>KIP-951 (Produce v10+): the leader this replica knows, and where it listens, so a client re-routes
    /// without a metadata round trip after a failover (older versions do not carry the fields).</summary>
    private void HintLeader(ProduceResponse response, ProduceResponse.PartitionProduceResponse result, PartitionHandle handle)
    {
        var state = handle.State;
        if (state.LeaderId < 0 || state.LeaderId == node.Settings.NodeId
            || !node.Metadata.Current.Brokers.TryGetValue(state.LeaderId, out var leader) || leader.Fenced)
        {
            return;
        }
        result.CurrentLeader = new ProduceResponse.LeaderIdAndEpoch { LeaderId = state.LeaderId, LeaderEpoch = state.LeaderEpoch };
        if (!response.NodeEndpoints.Exists(e => e.NodeId == leader.NodeId))
        {
            response.NodeEndpoints.Add(new ProduceResponse.NodeEndpoint { NodeId = leader.NodeId, Host = leader.Host, Port = leader.Port, Rack = leader.Rack });
        }
    }

    /// <summary>
    /// Produce v0-2 carries legacy message sets (magic 0/1); the log stores only v2 batches, so they
    /// are converted here (CRCs checked, compressed wrappers expanded). Old clients are rare, so the
    /// converted batch gets its own array rather than a pooled buffer with a lifetime to track.
    /// </summary>
    private static bool TryConvertLegacy(Memory<byte> records, out Memory<byte> converted)
    {
        converted = Memory<byte>.Empty;
        if (!LegacyMessageSet.IsLegacy(records.Span))
        {
            return false; // v0-2 must carry magic 0 or 1
        }
        var output = new ArrayBufferWriter<byte>(Math.Max(256, records.Length + 64));
        try
        {
            if (LegacyMessageSet.ConvertToV2(records.Span, output) == 0)
            {
                return false;
            }
        }
        catch (ProtocolException)
        {
            return false;
        }
        converted = MemoryMarshal.AsMemory(output.WrittenMemory);
        return true;
    }

    private ErrorCode Validate(ProduceRequest produce, string topic, bool known, ProduceRequest.PartitionProduceData partition, out PartitionHandle? handle)
    {
        handle = null;
        if (produce.TransactionalId is not null)
        {
            return ErrorCode.TransactionalIdAuthorizationFailed;
        }
        if (produce.Acks is not (0 or 1 or -1))
        {
            return ErrorCode.InvalidRequiredAcks;
        }
        if (!known)
        {
            return ErrorCode.UnknownTopicOrPartition;
        }
        handle = node.Replicas.Get(topic, partition.Index);
        if (handle is null)
        {
            return ErrorCode.UnknownTopicOrPartition;
        }
        if (!handle.State.IsLeader || !node.MetadataLease.IsValid)
        {
            // An expired metadata lease: the controller may have fenced this broker and moved the leadership while
            // it could not hear (a paused process). Kafka would still append acks=1 here until its image catches
            // up, and lose those records when it truncates as a follower; refusing costs clients one retry.
            return ErrorCode.NotLeaderOrFollower;
        }
        if (partition.Records is not { Length: > 0 })
        {
            return ErrorCode.CorruptMessage;
        }
        return ErrorCode.None;
    }

    /// <summary>Collects partition results; the last one to arrive sends the response.</summary>
    private sealed class ProduceCompletion(RequestContext request, ProduceResponse response, short acks, ProducePurgatory purgatory, TimeSpan timeout) : IAppendCallback
    {
        private readonly List<ProduceResponse.PartitionProduceResponse> _slots = [];
        private readonly List<PartitionHandle?> _handles = [];
        private int _remaining = int.MaxValue;

        public void Register(ProduceResponse.PartitionProduceResponse result, PartitionHandle? handle)
        {
            _slots.Add(result);
            _handles.Add(handle);
        }

        public void Expect(int count)
        {
            if (Interlocked.Add(ref _remaining, count - int.MaxValue) == 0)
            {
                Finish();
            }
        }

        public void OnAppended(int slot, in LogAppendInfo info)
        {
            var result = _slots[slot];
            result.ErrorCode = (short)info.ErrorCode;
            result.BaseOffset = info.IsSuccess ? info.FirstOffset : -1;
            result.LogAppendTimeMs = info.IsSuccess ? info.LogAppendTime : -1;
            result.LogStartOffset = info.LogStartOffset;
            // acks=all: answered once the ISR has the batch. Runs on the partition actor, so the state
            // read here is the one the append ran under.
            if (acks == -1 && info.IsSuccess && _handles[slot] is { } handle)
            {
                var epoch = handle.State.LeaderEpoch;
                var required = info.LastOffset + 1;
                if (ProducePurgatory.Check(handle, epoch, required) is not { } error)
                {
                    purgatory.Wait(handle, epoch, required, timeout, code => Replicated(result, code));
                    return;
                }
                result.ErrorCode = (short)error;
            }
            Done();
        }

        private void Replicated(ProduceResponse.PartitionProduceResponse result, ErrorCode error)
        {
            result.ErrorCode = (short)error;
            Done();
        }

        private void Done()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                Finish();
            }
        }

        private void Finish()
        {
            if (acks == 0)
            {
                // Kafka closes an acks=0 connection on error: the only way the client can notice.
                if (_slots.Exists(s => s.ErrorCode != 0))
                {
                    request.CloseConnection("acks=0 produce failed");
                }
                else
                {
                    request.RespondNothing();
                }
                return;
            }
            request.Respond(response);
        }
    }
}
