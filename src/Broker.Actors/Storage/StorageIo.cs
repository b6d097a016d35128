using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Broker.Actors.Storage;

/// <summary>File helpers shared by segments, indexes and checkpoints.</summary>
internal static class StorageIo
{
    /// <summary>Reads until the span is full or the file ends; returns the bytes read.</summary>
    public static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long position)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer.Slice(total), position + total);
            if (n <= 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }

    /// <summary>Kafka's file name for a segment or snapshot: the offset as 20 zero-padded digits.</summary>
    public static string OffsetFileName(long offset, string suffix) =>
        offset.ToString("D20", CultureInfo.InvariantCulture) + suffix;

    public static bool TryParseOffsetFileName(string fileName, string suffix, out long offset)
    {
        offset = -1;
        if (!fileName.EndsWith(suffix, StringComparison.Ordinal) || fileName.Length != 20 + suffix.Length)
        {
            return false;
        }
        return long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
    }

    /// <summary>Writes a whole file atomically: temp file, fsync, rename, so a crash leaves old or new.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var tmp = path + ".tmp";
        using (var handle = File.OpenHandle(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, content, 0);
            RandomAccess.FlushToDisk(handle);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
