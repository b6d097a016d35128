using System.Buffers.Text;
using System.Text;

namespace Broker.Actors.Storage;

/// <summary>
/// Kafka's <c>partition.metadata</c> in a partition's directory: which topic (by id) the log belongs to.
/// It tells a log of a deleted-and-recreated topic (same name, new id) from the current one, so a
/// broker that was down during the deletion neither serves the old data nor keeps it (stray logs).
/// Format as Kafka writes it: <c>version: 0</c> and <c>topic_id: </c> the id in URL-safe base64 without padding.
/// </summary>
public static class PartitionMetadataFile
{
    public const string FileName = "partition.metadata";
    private const int MaxFileBytes = 4096;

    /// <summary>The topic id in <paramref name="dir"/>, or null when the file is missing or unreadable
    /// (a log written before topic ids were recorded, or a crash before the first write).</summary>
    public static Guid? Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxFileBytes)
            {
                return null;
            }
            string? version = null, topicId = null;
            foreach (var line in File.ReadAllLines(path))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    continue;
                }
                var value = line[(colon + 1)..].Trim();
                switch (line[..colon].Trim())
                {
                    case "version": version = value; break;
                    case "topic_id": topicId = value; break;
                }
            }
            return version == "0" && topicId is not null && TryParseUuid(topicId, out var id) ? id : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Writes the file atomically (temporary file, flush, rename).</summary>
    public static void Write(string dir, Guid topicId)
    {
        var path = Path.Combine(dir, FileName);
        var temp = path + ".tmp";
        var content = Encoding.ASCII.GetBytes($"version: 0\ntopic_id: {FormatUuid(topicId)}\n");
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Kafka's <c>Uuid.toString()</c>: the 16 big-endian bytes in URL-safe base64, no padding.</summary>
    public static string FormatUuid(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryParseUuid(string text, out Guid id)
    {
        Span<byte> bytes = stackalloc byte[18];
        // TryDecodeFromChars throws on characters outside the alphabet: check them first.
        if (text.Length == 22 && Base64Url.IsValid(text) && Base64Url.TryDecodeFromChars(text, bytes, out var written) && written == 16)
        {
            id = new Guid(bytes[..16], bigEndian: true);
            return true;
        }
        id = Guid.Empty;
        return false;
    }
}
