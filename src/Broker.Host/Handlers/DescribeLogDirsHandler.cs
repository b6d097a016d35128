using Broker.Host.Network;
using Broker.Protocol.Messages;
using static Broker.Protocol.Messages.DescribeLogDirsResponse;

namespace Broker.Host.Handlers;

/// <summary>
/// DescribeLogDirs (v0-4): each configured log dir with the partitions it holds (size on disk; this
/// single-replica broker has no future replicas and no lag), and the dir's filesystem total and usable
/// bytes (v4). A null topic list means every partition.
/// </summary>
internal sealed class DescribeLogDirsHandler(BrokerNode node)
{
    public void Handle(RequestContext request)
    {
        var describe = request.Decode<DescribeLogDirsRequest>();
        HashSet<(string, int)>? wanted = describe.Topics?
            .SelectMany(t => t.Partitions.Select(p => (t.Topic, p)))
            .ToHashSet();
        var response = new DescribeLogDirsResponse();
        var dirs = new Dictionary<string, DescribeLogDirsResult>(StringComparer.Ordinal);
        foreach (var logDir in node.Settings.LogDirs)
        {
            var full = Path.GetFullPath(logDir);
            var result = new DescribeLogDirsResult { LogDir = full };
            try
            {
                var drive = new DriveInfo(full);
                result.TotalBytes = drive.TotalSize;
                result.UsableBytes = drive.AvailableFreeSpace;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                result.ErrorCode = (short)ErrorCode.KafkaStorageError;
            }
            dirs[Path.TrimEndingDirectorySeparator(full)] = result;
            response.Results.Add(result);
        }
        var partitions = node.Logs.Logs
            .Where(l => wanted is null || wanted.Contains((l.TopicPartition.Topic, l.TopicPartition.Partition)))
            .OrderBy(l => l.TopicPartition.Topic, StringComparer.Ordinal)
            .ThenBy(l => l.TopicPartition.Partition);
        foreach (var log in partitions)
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(log.Dir));
            if (parent is null || !dirs.TryGetValue(Path.TrimEndingDirectorySeparator(parent), out var dir))
            {
                continue;
            }
            var snapshot = log.Current;
            var topic = dir.Topics.Count > 0 && dir.Topics[^1].Name == log.TopicPartition.Topic ? dir.Topics[^1] : null;
            if (topic is null)
            {
                topic = new DescribeLogDirsTopic { Name = log.TopicPartition.Topic };
                dir.Topics.Add(topic);
            }
            topic.Partitions.Add(new DescribeLogDirsPartition
            {
                PartitionIndex = log.TopicPartition.Partition,
                PartitionSize = snapshot.Size,
                OffsetLag = Math.Max(0, snapshot.HighWatermark - snapshot.LogEndOffset),
                IsFutureKey = false,
            });
        }
        request.Respond(response);
    }
}
