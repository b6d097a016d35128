using System.Globalization;

namespace Broker.Actors.Metadata;

/// <summary>
/// Kafka's <c>meta.properties</c>: each log dir records the cluster id and node id it belongs to,
/// so a dir from another cluster or node is refused instead of silently mixed in.
/// </summary>
public static class MetaProperties
{
    public const string FileName = "meta.properties";

    /// <summary>The cluster id recorded in the dirs; when none is, <paramref name="newClusterId"/> (or a random one) is recorded.</summary>
    public static string EnsureClusterId(string metadataLogDir, IReadOnlyList<string> logDirs, int nodeId, string? newClusterId = null)
    {
        var dirs = logDirs.Append(metadataLogDir).Distinct().ToList();
        string? clusterId = null;
        foreach (var dir in dirs)
        {
            var props = Read(Path.Combine(dir, FileName));
            if (props is null)
            {
                continue;
            }
            if (props.TryGetValue("node.id", out var node) && node != nodeId.ToString(CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"log dir {dir} belongs to node {node}, not {nodeId}");
            }
            if (props.TryGetValue("cluster.id", out var id))
            {
                if (clusterId is not null && clusterId != id)
                {
                    throw new InvalidOperationException($"log dir {dir} belongs to cluster {id}, not {clusterId}");
                }
                clusterId = id;
            }
        }
        clusterId ??= newClusterId ?? NewClusterId();
        foreach (var dir in dirs)
        {
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, FileName);
            if (!File.Exists(path))
            {
                File.WriteAllText(path, $"version=1\ncluster.id={clusterId}\nnode.id={nodeId}\n");
            }
        }
        return clusterId;
    }

    /// <summary>
    /// The id every node of a cluster derives from the same <c>controller.quorum.voters</c> (there is no
    /// format step that hands one id to all nodes, as <c>kafka-storage format</c> does): 16 bytes of
    /// SHA-256 over the sorted voters, in Kafka's form.
    /// </summary>
    public static string ClusterIdFromVoters(IEnumerable<string> voters)
    {
        var text = "akkabroker-cluster:" + string.Join(',', voters.Order(StringComparer.Ordinal));
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));
        return Convert.ToBase64String(hash, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>A random UUID in Kafka's url-safe base64 form (22 characters).</summary>
    public static string NewClusterId() =>
        Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static Dictionary<string, string>? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        var result = new Dictionary<string, string>();
        foreach (var line in File.ReadAllLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && !line.StartsWith('#'))
            {
                result[line[..eq].Trim()] = line[(eq + 1)..].Trim();
            }
        }
        return result;
    }
}
