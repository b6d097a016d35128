using System.Globalization;
using System.Text;

namespace Broker.Actors.Storage;

/// <summary>
/// Kafka's checkpoint text format (replication-offset-checkpoint, recovery-point-offset-checkpoint,
/// log-start-offset-checkpoint, leader-epoch-checkpoint): a version line "0", a count line, then one
/// entry per line. Written atomically (temp file, fsync, rename).
/// </summary>
public static class OffsetCheckpointFile
{
    public const string RecoveryPoint = "recovery-point-offset-checkpoint";
    public const string LogStartOffset = "log-start-offset-checkpoint";
    public const string ReplicationOffset = "replication-offset-checkpoint";

    public static void Write(string path, IEnumerable<KeyValuePair<TopicPartition, long>> entries)
    {
        var body = new StringBuilder();
        var count = 0;
        foreach (var (tp, offset) in entries)
        {
            body.Append(tp.Topic).Append(' ').Append(tp.Partition.ToString(CultureInfo.InvariantCulture))
                .Append(' ').Append(offset.ToString(CultureInfo.InvariantCulture)).Append('\n');
            count++;
        }
        WriteLines(path, count, body.ToString());
    }

    /// <summary>Reads the file; a missing file is empty, a malformed one throws.</summary>
    public static Dictionary<TopicPartition, long> Read(string path)
    {
        var result = new Dictionary<TopicPartition, long>();
        foreach (var parts in ReadLines(path, 3))
        {
            result[new TopicPartition(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture))] =
                long.Parse(parts[2], CultureInfo.InvariantCulture);
        }
        return result;
    }

    internal static void WriteLines(string path, int count, string body)
    {
        var text = "0\n" + count.ToString(CultureInfo.InvariantCulture) + "\n" + body;
        StorageIo.WriteAtomically(path, Encoding.UTF8.GetBytes(text));
    }

    internal static IEnumerable<string[]> ReadLines(string path, int fields)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        var lines = File.ReadAllLines(path);
        if (lines.Length < 2 || lines[0] != "0" || !int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || lines.Length < 2 + count)
        {
            throw new InvalidDataException($"malformed checkpoint file {path}");
        }
        var result = new List<string[]>(count);
        for (var i = 0; i < count; i++)
        {
            var parts = lines[2 + i].Split(' ');
            if (parts.Length != fields)
            {
                throw new InvalidDataException($"malformed checkpoint line in {path}: {lines[2 + i]}");
            }
            result.Add(parts);
        }
        return result;
    }
}
