namespace Broker.Protocol.Generator;

/// <summary>
/// Usage: dotnet run --project src/Broker.Protocol.Generator -- &lt;specRoot&gt; [outputRoot=src/Broker.Protocol]
/// Rewrites the Generated/ folders under outputRoot and deletes generated files no spec produces any more.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length is < 1 or > 2)
        {
            Console.Error.WriteLine("usage: Broker.Protocol.Generator <specRoot> [outputRoot=src/Broker.Protocol]");
            return 2;
        }
        var specRoot = args[0];
        var outputRoot = args.Length > 1 ? args[1] : Path.Combine("src", "Broker.Protocol");
        var files = ProtocolGenerator.Generate(specRoot);
        var written = 0;
        foreach (var folder in ProtocolGenerator.OutputFolders)
        {
            var dir = Path.Combine(outputRoot, folder);
            Directory.CreateDirectory(dir);
            foreach (var stale in Directory.GetFiles(dir, "*.g.cs"))
            {
                var rel = folder + "/" + Path.GetFileName(stale);
                if (!files.ContainsKey(rel))
                {
                    File.Delete(stale);
                }
            }
        }
        foreach (var (rel, text) in files)
        {
            var path = Path.Combine(outputRoot, rel);
            if (!File.Exists(path) || File.ReadAllText(path) != text)
            {
                File.WriteAllText(path, text);
                written++;
            }
        }
        Console.WriteLine($"{files.Count} files generated, {written} changed, in {outputRoot}");
        return 0;
    }
}
