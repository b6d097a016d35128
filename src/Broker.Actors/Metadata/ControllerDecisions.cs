using Broker.Actors.Configs;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

/// <summary>
/// The controller's decisions as pure functions: (image, command, the active controller's session facts)
/// -> (reply, metadata records). No clock, randomness, actor or I/O of their own (topic ids and the
/// placement start are passed in), so the <see cref="ControllerActor"/> and the seeded cluster simulation
/// (tests/Broker.Actors.Tests/Raft/Simulation) run the same rules; the records take effect only when
/// committed and replayed through <see cref="MetadataDelta"/>. Partition leader/ISR moves are in
/// <see cref="PartitionLeaderElection"/>, AlterPartition in <see cref="ControllerActor.DecideAlterPartition"/>.
/// </summary>
internal static class ControllerDecisions
{
    /// <summary>BrokerRegistration (Kafka's ClusterControlManager.registerBroker). <paramref name="sessionHeld"/>:
    /// the registered incarnation still holds a live session on this controller, so another incarnation
    /// must wait (DUPLICATE_BROKER_REGISTRATION). The new broker epoch is the offset the record will get.</summary>
    public static (RegistrationReply Reply, IReadOnlyList<IKafkaMessage> Records) RegisterBroker(
        MetadataImage image, ControllerActor.RegisterBroker m, bool sessionHeld, ConfigValues brokerValues)
    {
        if (!string.IsNullOrEmpty(m.ClusterId) && !string.IsNullOrEmpty(image.ClusterId) && m.ClusterId != image.ClusterId)
        {
            return (new RegistrationReply(ErrorCode.InconsistentClusterId, -1), []);
        }
        var previous = new List<IKafkaMessage>();
        if (image.Brokers.TryGetValue(m.BrokerId, out var existing))
        {
            if (existing.IncarnationId == m.IncarnationId && !existing.Fenced)
            {
                // A retry of a registration that already went through.
                return (new RegistrationReply(ErrorCode.None, existing.BrokerEpoch), []);
            }
            if (existing.IncarnationId != m.IncarnationId && !existing.Fenced)
            {
                if (sessionHeld && !SameListeners(existing, m.Listeners))
                {
                    // Another process with this id, elsewhere, while this one still heartbeats: a misconfiguration.
                    return (new RegistrationReply(ErrorCode.DuplicateBrokerRegistration, -1), []);
                }
                // The previous incarnation is gone: its session ran out, or this incarnation now holds its listeners.
                // Fence it and move its leaderships within the ISR at once (as Kafka does on an unclean restart,
                // KIP-966): the restarted log may have lost records it never flushed, so it must not lead again
                // before it has caught up as a follower.
                previous.Add(new FenceBrokerRecord { Id = m.BrokerId, Epoch = existing.BrokerEpoch });
                previous.AddRange(PartitionLeaderElection.BrokerLeaving(image, m.BrokerId, brokerValues));
            }
        }
        var epoch = image.Offset + 1;
        var record = new RegisterBrokerRecord
        {
            BrokerId = m.BrokerId,
            IncarnationId = m.IncarnationId,
            BrokerEpoch = epoch,
            Rack = m.Rack,
            Fenced = true,
            EndPoints = [.. m.Listeners.Select(l => new RegisterBrokerRecord.BrokerEndpoint { Name = l.Name, Host = l.Host, Port = (ushort)l.Port, SecurityProtocol = l.SecurityProtocol })],
        };
        previous.Add(record);
        return (new RegistrationReply(ErrorCode.None, epoch), previous);
    }

    private static bool SameListeners(BrokerImage existing, IReadOnlyList<BrokerEndpointImage> listeners) =>
        existing.Endpoints.Length > 0 && existing.Endpoints.Length == listeners.Count
        && existing.Endpoints.All(e => listeners.Any(l => l.Name == e.Name && l.Host == e.Host && l.Port == e.Port));

    /// <summary>BrokerHeartbeat: a valid heartbeat (reply error NONE) renews the session; a caught-up fenced
    /// broker is unfenced (and leaderless partitions it can lead get it back); WantShutDown moves its
    /// leaderships away and fences it; a broker asked to leave is answered ShouldShutDown. <paramref name="catchUpOffset"/>: the offset the broker must have applied
    /// to count as caught up (its registration, or the batch that fenced it: <see cref="CatchUpAfter"/>; else
    /// the broker epoch, its registration's offset, stands in).</summary>
    public static (HeartbeatReply Reply, IReadOnlyList<IKafkaMessage> Records) Heartbeat(
        MetadataImage image, ControllerActor.BrokerHeartbeat m, long? catchUpOffset, ConfigValues brokerValues)
    {
        if (!image.Brokers.TryGetValue(m.BrokerId, out var broker))
        {
            return (new HeartbeatReply(ErrorCode.BrokerIdNotRegistered, false, true, false), []);
        }
        if (broker.BrokerEpoch != m.BrokerEpoch)
        {
            return (new HeartbeatReply(ErrorCode.StaleBrokerEpoch, false, true, false), []);
        }
        var caughtUp = m.CurrentMetadataOffset >= (catchUpOffset ?? broker.BrokerEpoch);
        var brokerId = m.BrokerId;
        if (m.WantShutDown)
        {
            var records = new List<IKafkaMessage>();
            if (!broker.Fenced)
            {
                if (!broker.InControlledShutdown)
                {
                    records.Add(new BrokerRegistrationChangeRecord { BrokerId = brokerId, BrokerEpoch = broker.BrokerEpoch, InControlledShutdown = 1 });
                }
                // Move every leadership (and ISR membership) away; once it leads nothing it is fenced and may go.
                records.AddRange(PartitionLeaderElection.BrokerLeaving(image, brokerId, brokerValues));
                records.Add(new BrokerRegistrationChangeRecord { BrokerId = brokerId, BrokerEpoch = broker.BrokerEpoch, Fenced = 1 });
            }
            return (new HeartbeatReply(ErrorCode.None, caughtUp, true, true), records);
        }
        if (broker.Fenced && !m.WantFence && caughtUp)
        {
            var records = new List<IKafkaMessage> { new UnfenceBrokerRecord { Id = brokerId, Epoch = broker.BrokerEpoch } };
            records.AddRange(PartitionLeaderElection.ElectLeaderless(image, brokerValues, brokerId));
            return (new HeartbeatReply(ErrorCode.None, true, false, false), records);
        }
        // An operator asked this broker to leave (ControllerActor.Membership.cs): its leaderships already moved, and
        // ShouldShutDown tells it to run its graceful shutdown, whose WantShutDown heartbeats take the path above.
        return (new HeartbeatReply(ErrorCode.None, caughtUp, broker.Fenced, broker.InControlledShutdown && !broker.Fenced), []);
    }

    /// <summary>
    /// Raises the offset <paramref name="brokerId"/> must have applied before a heartbeat unfences it. Kafka asks only
    /// for the registration record; here a broker fenced while alive (a paused or partitioned process) must also have
    /// applied the batch that fenced it and moved its leaderships away. Until then its image still names it leader of
    /// those partitions, and an unfenced heartbeat answer would renew its metadata lease (BrokerMetadataLease) and
    /// let it tell clients so again.
    /// </summary>
    public static void CatchUpAfter(Dictionary<int, long> catchUpOffsets, int brokerId, long offset) =>
        catchUpOffsets[brokerId] = Math.Max(offset, catchUpOffsets.GetValueOrDefault(brokerId, -1));

    /// <summary>Fences brokers whose sessions expired (Kafka's maybeFenceOneStaleBroker, for several at once):
    /// each is fenced and leaves every ISR and leadership, in one batch. Unknown or already fenced brokers are skipped.</summary>
    public static List<IKafkaMessage> FenceBrokers(MetadataImage image, IReadOnlyList<int> brokerIds, ConfigValues brokerValues)
    {
        var records = new List<IKafkaMessage>();
        var working = image;
        foreach (var id in brokerIds)
        {
            if (!image.Brokers.TryGetValue(id, out var broker) || broker.Fenced)
            {
                continue;
            }
            var fence = new FenceBrokerRecord { Id = id, Epoch = broker.BrokerEpoch };
            var moves = PartitionLeaderElection.BrokerLeaving(working, id, brokerValues);
            records.Add(fence);
            records.AddRange(moves);
            // Later brokers of this batch must see this one as fenced and its partitions moved.
            var delta = new MetadataDelta(working);
            delta.Replay(fence);
            foreach (var move in moves)
            {
                delta.Replay(move);
            }
            working = delta.Apply(working.Offset);
        }
        return records;
    }

    /// <summary>AllocateProducerIds: the next block, reserved in the log before it is handed out, so ids are
    /// never reused after a restart or a failover.</summary>
    public static (ProducerIdBlock Block, ProducerIdsRecord Record) AllocateProducerIds(MetadataImage image, int brokerId, long brokerEpoch, int blockSize)
    {
        var start = image.NextProducerId;
        return (new ProducerIdBlock(start, blockSize),
            new ProducerIdsRecord { BrokerId = brokerId, BrokerEpoch = brokerEpoch, NextProducerId = start + blockSize });
    }

    /// <summary>CreateTopics: validation (Kafka's error codes and wording), then a TopicRecord, its
    /// ConfigRecords and one PartitionRecord per partition (every replica in the ISR, the first one leads).</summary>
    public static IReadOnlyList<TopicResult> CreateTopics(
        MetadataImage image, ControllerSettings settings, ControllerActor.CreateTopics command,
        Func<Guid> newTopicId, Random placement, out List<IKafkaMessage> records)
    {
        var results = new List<TopicResult>();
        records = [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var brokerCount = ReplicaPlacer.For(image, settings.NodeId, 0).BrokerCount;
        foreach (var topic in command.Topics)
        {
            if (!seen.Add(topic.Name))
            {
                results.Add(Error(topic.Name, ErrorCode.InvalidRequest, "duplicate topic name in request"));
                continue;
            }
            var nameError = TopicNameRules.Validate(topic.Name);
            if (nameError is not null)
            {
                results.Add(Error(topic.Name, ErrorCode.InvalidTopicException, nameError));
                continue;
            }
            if (image.Topic(topic.Name) is not null)
            {
                results.Add(Error(topic.Name, ErrorCode.TopicAlreadyExists, $"Topic '{topic.Name}' already exists."));
                continue;
            }
            var collision = image.TopicsByName.Keys.FirstOrDefault(n => TopicNameRules.Collides(n, topic.Name));
            if (collision is not null)
            {
                results.Add(Error(topic.Name, ErrorCode.InvalidTopicException, $"Topic '{topic.Name}' collides with existing topic '{collision}'."));
                continue;
            }
            var partitions = topic.NumPartitions == -1 ? settings.DefaultNumPartitions : topic.NumPartitions;
            var rf = topic.ReplicationFactor == -1 ? settings.DefaultReplicationFactor : topic.ReplicationFactor;
            if (topic.Assignments is { Count: > 0 })
            {
                partitions = topic.Assignments.Count;
                rf = (short)topic.Assignments.Values.First().Count;
            }
            if (partitions <= 0)
            {
                results.Add(Error(topic.Name, ErrorCode.InvalidPartitions, "Number of partitions must be larger than 0."));
                continue;
            }
            if (rf <= 0)
            {
                results.Add(Error(topic.Name, ErrorCode.InvalidReplicationFactor, "Replication factor must be larger than 0."));
                continue;
            }
            if (rf > brokerCount)
            {
                results.Add(Error(topic.Name, ErrorCode.InvalidReplicationFactor,
                    $"Unable to replicate the partition {rf} time(s): The target replication factor of {rf} cannot be reached because only {brokerCount} broker(s) are registered."));
                continue;
            }
            try
            {
                TopicConfigs.Validate(topic.Configs);
            }
            catch (ConfigException ex)
            {
                results.Add(Error(topic.Name, ErrorCode.InvalidConfig, ex.Message));
                continue;
            }
            var id = newTopicId();
            results.Add(new TopicResult(topic.Name, id, 0, null, partitions, rf));
            if (command.ValidateOnly)
            {
                continue;
            }
            records.Add(new TopicRecord { Name = topic.Name, TopicId = id });
            foreach (var (key, value) in topic.Configs)
            {
                if (value is not null)
                {
                    records.Add(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Topic, ResourceName = topic.Name, Name = key, Value = value });
                }
            }
            var placer = ReplicaPlacer.For(image, settings.NodeId, placement.Next(Math.Max(1, brokerCount)));
            for (var p = 0; p < partitions; p++)
            {
                var replicas = topic.Assignments?.GetValueOrDefault(p)?.ToList() ?? placer.Place(p, rf);
                records.Add(new PartitionRecord
                {
                    PartitionId = p, TopicId = id, Replicas = replicas, Isr = [.. replicas],
                    Leader = replicas[0], LeaderEpoch = 0, PartitionEpoch = 0,
                });
            }
        }
        return results;
    }

    private static TopicResult Error(string name, ErrorCode code, string message) =>
        new(name, Guid.Empty, (short)code, message);
}
