using System.Globalization;

namespace Broker.Actors.Storage;

/// <summary>A partition's identity; its log directory is named <c>&lt;topic&gt;-&lt;partition&gt;</c>.</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    public string DirectoryName => Topic + "-" + Partition.ToString(CultureInfo.InvariantCulture);

    public override string ToString() => DirectoryName;

    /// <summary>Parses a log directory name: the partition follows the last '-'.</summary>
    public static bool TryParseDirectoryName(string name, out TopicPartition tp)
    {
        tp = default;
        var dash = name.LastIndexOf('-');
        if (dash <= 0 || dash == name.Length - 1)
        {
            return false;
        }
        if (!int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
        {
            return false;
        }
        tp = new TopicPartition(name.Substring(0, dash), partition);
        return true;
    }
}
