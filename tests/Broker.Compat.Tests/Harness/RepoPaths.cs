using System.Reflection;

namespace Broker.Compat.Tests.Harness;

/// <summary>Where things are in the checkout, found from the test assembly rather than the working directory.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The folder holding AkkaBroker.sln.</summary>
    public static string Root => s_root.Value;

    public static string CompatDir => Path.Combine(Root, "tests", "compat");
    public static string PythonDir => Path.Combine(CompatDir, "python");
    public static string NodeDir => Path.Combine(CompatDir, "node");
    public static string ToolsDir => Path.Combine(CompatDir, "tools");

    /// <summary>The python the real clients are installed for (Debian's python3-kafka and python3-confluent-kafka).</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The build configuration this test assembly was built with, so the broker of the same build runs.</summary>
    public static string Configuration =>
        typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Configuration")?.Value ?? "Release";

    /// <summary>The broker's entry assembly; AKKABROKER_DLL overrides it (e.g. to test an installed build).</summary>
    public static string BrokerDll =>
        Environment.GetEnvironmentVariable("AKKABROKER_DLL") is { Length: > 0 } overridden
            ? overridden
            : Path.Combine(Root, "src", "Broker.Host", "bin", Configuration, "net10.0", "akkabroker.dll");

    /// <summary>The dotnet host running these tests, so the broker runs on the same runtime.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AkkaBroker.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no AkkaBroker.sln above {AppContext.BaseDirectory}");
    }
}
