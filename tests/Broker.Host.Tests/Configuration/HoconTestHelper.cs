using Broker.Host.Configuration.Hocon;
using Microsoft.Extensions.Configuration;

namespace Broker.Host.Tests.Configuration;

internal static class HoconTestHelper
{
    /// <summary>Parses, resolves and flattens HOCON text into configuration key/values.</summary>
    public static Dictionary<string, string?> Flat(string hocon, Func<string, string?>? env = null)
    {
        var root = HoconParser.Parse(hocon);
        HoconResolver.Resolve(root, env ?? (_ => null));
        return HoconConfigurationProvider.Flatten(root);
    }

    public static IConfigurationRoot Build(string hocon) => new ConfigurationBuilder().AddHoconString(hocon).Build();

    /// <summary>The repository root (the folder with AkkaBroker.sln).</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AkkaBroker.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("AkkaBroker.sln not found above " + AppContext.BaseDirectory);
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "akkabroker-cfg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
