using Broker.Host;
using Broker.Host.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Benchmarks.EndToEnd;

/// <summary>
/// `cluster N DIR [key=value...]`: N broker nodes in this process over one shared metadata log, node 1
/// the active controller (as the in-process cluster tests do), for the replication benchmark (replication.sh) until the Raft quorum
/// lets separate processes form a cluster. Prints "ports p1 p2 ..." once all serve; stops on stdin EOF.
/// </summary>
public static class ClusterHost
{
    public static async Task RunAsync(string[] args)
    {
        var count = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
        var dir = args[1];
        var nodes = new List<BrokerNode>();
        var quorum = new Broker.Actors.Metadata.SharedMetadataQuorum();
        quorum.Elect(1);
        try
        {
            for (var id = 1; id <= count; id++)
            {
                var values = new Dictionary<string, string?>
                {
                    ["node.id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["process.roles"] = "broker,controller",
                    ["controller.quorum.voters"] = string.Join(',', Enumerable.Range(1, count).Select(v => $"{v}@127.0.0.1:{9092 + v}")),
                    ["log.dirs"] = Path.Combine(dir, "node-" + id),
                    ["listeners"] = "PLAINTEXT://127.0.0.1:0",
                    ["offsets.topic.replication.factor"] = "1",
                };
                foreach (var pair in args[2..])
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    values[pair[..eq]] = pair[(eq + 1)..];
                }
                var settings = BrokerSettings.FromValues(values);
                nodes.Add(await BrokerNode.StartAsync(settings, NullLoggerFactory.Instance, quorum.Join(id), c => c <= nodes.Count ? ("127.0.0.1", nodes[c - 1].Port) : null));
            }
            while (nodes[0].Metadata.Current.Brokers.Values.Count(b => !b.Fenced) < count)
            {
                await Task.Delay(50);
            }
            Console.WriteLine("ports " + string.Join(' ', nodes.Select(n => n.Port)));
            Console.Out.Flush();
            await Console.In.ReadToEndAsync();
        }
        finally
        {
            for (var i = nodes.Count - 1; i >= 0; i--)
            {
                await nodes[i].DisposeAsync();
            }
        }
    }
}
