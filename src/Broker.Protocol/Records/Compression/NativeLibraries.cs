using System.Runtime.InteropServices;

namespace Broker.Protocol.Records.Compression;

/// <summary>
/// Loads the system's native codec libraries on first use, so a machine without them still runs
/// everything but that codec, and the codec's first call says exactly what is missing.
/// </summary>
internal static class NativeLibraries
{
    public static nint Load(string fileName, string codec, string debianPackage)
    {
        if (NativeLibrary.TryLoad(fileName, typeof(NativeLibraries).Assembly, null, out var handle) ||
            NativeLibrary.TryLoad(fileName, out handle))
        {
            return handle;
        }
        throw new DllNotFoundException(
            $"{codec} compression needs the native library {fileName}, which was not found " +
            $"(install the '{debianPackage}' package).");
    }

    public static nint Export(nint library, string fileName, string name) =>
        NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new EntryPointNotFoundException($"{fileName} has no export {name}: the library is too old");
}
