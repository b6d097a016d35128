using System.Net.Http;
using System.Text.Json;

namespace Broker.Ctl;

/// <summary>
/// brokerctl's commands. Arguments are hand-parsed (a handful of verbs); each command is one GET or
/// POST against the management endpoint, rendered as a table. Exit codes: 0 ok, 1 the broker
/// answered an error or could not be reached, 2 bad usage.
/// </summary>
public static class BrokerCtl
{
    public const string DefaultUrl = "http://127.0.0.1:8558";

    public const string Usage = """
        usage: brokerctl [--url http://HOST:PORT] COMMAND
          cluster show              members, roles, status, controller leader and epoch
          cluster region-stats      replicas and leaders per node
          cluster leave <node>      controlled shutdown: its leaderships move away, then it stops and exits 0
          cluster down <node>       declare it dead now: fenced, its partitions led by the rest of their ISR
                                    (both need management.http.allow-state-changes on the node asked)
          topics                    topics with partitions, leaders, replicas, isr and offsets
          partitions reassign <topic> <partition> <broker,...>|--cancel
                                    move a partition's replicas (first = preferred leader), or cancel the move
          partitions list-reassignments   moves in progress with the replicas they add and remove
          partitions elect-leaders [<topic> [<partition>]]
                                    preferred-leader election (every partition when none is named)
          groups                    consumer groups with state and coordinator
          groups describe <group>   members with decoded assignments; committed offset, log end and lag per partition
        The URL defaults to $BROKERCTL_URL or http://127.0.0.1:8558.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var url = Environment.GetEnvironmentVariable("BROKERCTL_URL") is { Length: > 0 } env ? env : DefaultUrl;
        var words = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--url" or "-u")
            {
                if (i + 1 >= args.Length)
                {
                    return UsageError(stderr, "--url needs a value");
                }
                url = args[++i];
            }
            else if (args[i].StartsWith("--url=", StringComparison.Ordinal))
            {
                url = args[i]["--url=".Length..];
            }
            else if (args[i] is "-h" or "--help" or "help")
            {
                stdout.WriteLine(Usage);
                return 0;
            }
            else
            {
                words.Add(args[i]);
            }
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            return UsageError(stderr, $"'{url}' is not an http(s) URL");
        }

        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = baseUri;
        http.Timeout = TimeSpan.FromSeconds(30);
        var client = new ManagementClient(http);
        try
        {
            switch (words)
            {
                case ["cluster", "show"] or ["cluster"]:
                    Render.Members(await client.GetAsync("/cluster/members").ConfigureAwait(false), stdout);
                    return 0;
                case ["cluster", "region-stats"]:
                    Render.RegionStats(await client.GetAsync("/cluster/region-stats").ConfigureAwait(false), stdout);
                    return 0;
                case ["cluster", "leave" or "down", var node]:
                    if (!int.TryParse(node, out var id))
                    {
                        return UsageError(stderr, $"node id '{node}' is not a number");
                    }
                    stdout.WriteLine(await client.PostAsync($"/cluster/members/{id}/{words[1]}").ConfigureAwait(false));
                    return 0;
                case ["groups"] or ["groups", "list"]:
                    Render.Groups(await client.GetAsync("/groups").ConfigureAwait(false), stdout);
                    return 0;
                case ["groups", "describe", var group]:
                    Render.Group(await client.GetAsync($"/groups/{Uri.EscapeDataString(group)}").ConfigureAwait(false), stdout);
                    return 0;
                case ["partitions", ..]:
                    var (code, usage) = await PartitionCommands.RunAsync(client, words, stdout).ConfigureAwait(false);
                    return usage is null ? code : UsageError(stderr, usage);
                case ["topics"]:
                    Render.Topics(await client.GetAsync("/cluster/partitions").ConfigureAwait(false), stdout);
                    return 0;
                default:
                    return UsageError(stderr, words.Count == 0 ? "no command given" : $"unknown command '{string.Join(' ', words)}'");
            }
        }
        catch (ManagementException e)
        {
            stderr.WriteLine($"brokerctl: {e.Message}");
            return 1;
        }
        catch (HttpRequestException e)
        {
            stderr.WriteLine($"brokerctl: cannot reach {baseUri}: {e.Message}");
            return 1;
        }
        catch (TaskCanceledException)
        {
            stderr.WriteLine($"brokerctl: {baseUri} did not answer within {http.Timeout.TotalSeconds:0} s");
            return 1;
        }
        catch (JsonException e)
        {
            stderr.WriteLine($"brokerctl: {baseUri} answered something that is not the management JSON: {e.Message}");
            return 1;
        }
    }

    private static int UsageError(TextWriter stderr, string message)
    {
        stderr.WriteLine($"brokerctl: {message}");
        stderr.WriteLine(Usage);
        return 2;
    }
}
