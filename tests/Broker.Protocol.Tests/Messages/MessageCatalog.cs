using System.Reflection;
using Broker.Protocol.Messages;

namespace Broker.Protocol.Tests.Messages;

/// <summary>Finds every generated top-level message type and its version range by reflection.</summary>
internal static class MessageCatalog
{
    public static readonly IReadOnlyList<Type> TopLevel = typeof(IKafkaMessage).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsNested: false, IsAbstract: false }
            && typeof(IKafkaMessage).IsAssignableFrom(t)
            && t.GetField("LowestVersion", BindingFlags.Public | BindingFlags.Static) is not null)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToList();

    public static Type Find(string fullName) => TopLevel.Single(t => t.FullName == fullName);

    public static (short Lowest, short Highest) Versions(Type t) =>
        ((short)t.GetField("LowestVersion")!.GetRawConstantValue()!, (short)t.GetField("HighestVersion")!.GetRawConstantValue()!);

    public static bool IsFlexible(Type t, short version) =>
        (bool)t.GetMethod("IsFlexible", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, [version])!;

    public static IEnumerable<object[]> AllTypeNames() => TopLevel.Select(t => new object[] { t.FullName! });

    /// <summary>A string hash that is the same on every run (string.GetHashCode is randomized per process).</summary>
    public static int StableSeed(string s)
    {
        unchecked
        {
            var h = (int)2166136261;
            foreach (var c in s)
            {
                h = (h ^ c) * 16777619;
            }
            return h;
        }
    }
}
