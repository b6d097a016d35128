using BenchmarkDotNet.Running;

namespace Broker.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "storage-report")
        {
            Storage.StorageReport.Run(args[1..]);
            return;
        }
        if (args.Length > 0 && args[0] == "groups")
        {
            Groups.GroupBench.Run(args[1..]);
            return;
        }
        if (args.Length > 0 && args[0] == "cluster")
        {
            EndToEnd.ClusterHost.RunAsync(args[1..]).GetAwaiter().GetResult();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
