using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// An N-node cluster of broker processes started by <c>deploy/cluster.sh</c> (the deploy script is
/// what is under test, not a copy of it) in a temporary data folder on free ports. Every operation
/// is the script's own command (kill, restart, pause, resume). Dispose stops the cluster through the
/// script and then kills -9 any node process still alive from its pid file, so a failed test never
/// leaves brokers behind; the folder is deleted last.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(150);
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private LocalCluster(int nodes, int basePort, string dataDir)
    {
        Nodes = nodes;
        BasePort = basePort;
        DataDir = dataDir;
    }

    public int Nodes { get; }
    public int BasePort { get; }
    public string DataDir { get; }

    public static string Script => Path.Combine(RepoPaths.Root, "deploy", "cluster.sh");

    public int KafkaPort(int node) => BasePort + (10 * (node - 1));
    public int ControllerPort(int node) => KafkaPort(node) + 1;
    public int ManagementPort(int node) => KafkaPort(node) + 2;
    public Uri ManagementUrl(int node) => new($"http://127.0.0.1:{ManagementPort(node)}");
    public string NodeDir(int node) => Path.Combine(DataDir, $"node-{node}");

    public string BootstrapServers =>
        string.Join(',', Enumerable.Range(1, Nodes).Select(n => $"127.0.0.1:{KafkaPort(n)}"));

    /// <summary>Starts <paramref name="nodes"/> nodes with <c>cluster.sh start</c>; <paramref name="settings"/> become --set overrides.</summary>
    public static async Task<LocalCluster> StartAsync(int nodes, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dataDir = Directory.CreateTempSubdirectory("akkabroker-cluster-").FullName;
        var cluster = new LocalCluster(nodes, FreeBasePort(nodes), dataDir);
        try
        {
            var args = new List<string> { "start", nodes.ToString(CultureInfo.InvariantCulture), "--base-port",
                cluster.BasePort.ToString(CultureInfo.InvariantCulture), "--no-build" };
            foreach (var (k, v) in settings ?? new Dictionary<string, string>())
            {
                args.Add("--set");
                args.Add($"{k}={v}");
            }
            var result = await cluster.RunScriptAsync(args);
            if (!result.Succeeded)
            {
                throw new BrokerProcessException($"cluster.sh start failed:\n{result}\n{cluster.Logs()}");
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <c>cluster.sh COMMAND ... --data DIR</c> against this cluster with the tests' broker build.</summary>
    public Task<ClientResult> RunScriptAsync(IEnumerable<string> args) =>
        ClientRunner.RunAsync("bash", new[] { Script }.Concat(args).Concat(["--data", DataDir]), ScriptTimeout,
            environment: new Dictionary<string, string>
            {
                ["AKKABROKER_DLL"] = RepoPaths.BrokerDll,
                ["DOTNET"] = RepoPaths.DotnetHost,
            });

    private async Task<ClientResult> NodeCommandAsync(string command, int node, params string[] extra)
    {
        var result = await RunScriptAsync(new[] { command, node.ToString(CultureInfo.InvariantCulture) }.Concat(extra));
        return result.Succeeded ? result : throw new ClientFailedException($"cluster.sh {command} {node} failed:\n{result}\n{Logs()}");
    }

    /// <summary>kill -9 of a node (cluster.sh waits until the process is gone).</summary>
    public Task KillAsync(int node) => NodeCommandAsync("kill", node);

    /// <summary>Starts a stopped or killed node again (a running one is stopped with SIGTERM first) and waits until it listens.</summary>
    public Task RestartAsync(int node) => NodeCommandAsync("restart", node);

    /// <summary>SIGSTOP: the process keeps its sockets but answers nothing (an isolated node).</summary>
    public Task PauseAsync(int node) => NodeCommandAsync("pause", node);

    public Task ResumeAsync(int node) => NodeCommandAsync("resume", node);

    public async Task<string> StatusAsync() => (await RunScriptAsync(["status"])).EnsureSuccess().Stdout;

    /// <summary>The pid cluster.sh recorded for a node, or null when it has none.</summary>
    public int? Pid(int node)
    {
        var file = Path.Combine(NodeDir(node), "node.pid");
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : null;
    }

    /// <summary>True while the node's recorded process exists and is this node's broker.</summary>
    public bool IsRunning(int node) => Pid(node) is { } pid && IsOurs(pid, node);

    private bool IsOurs(int pid, int node)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains(Path.Combine(NodeDir(node), "node.conf"), StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>GET a management route of a node, parsed; null when the node does not answer.</summary>
    public async Task<JsonElement?> GetJsonAsync(int node, string path)
    {
        try
        {
            using var response = await s_http.GetAsync(new Uri(ManagementUrl(node), path));
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return doc.RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The last lines of every node's log, for failure messages.</summary>
    public string Logs(int lines = 40)
    {
        var text = new System.Text.StringBuilder();
        for (var n = 1; n <= Nodes; n++)
        {
            var file = Path.Combine(NodeDir(n), "node.log");
            text.AppendLine(CultureInfo.InvariantCulture, $"--- node {n} ({file})");
            if (File.Exists(file))
            {
                foreach (var line in File.ReadLines(file).TakeLast(lines))
                {
                    text.AppendLine(line);
                }
            }
        }
        return text.ToString();
    }

    /// <summary>A base port whose 10-port block per node is free now (Kafka, CONTROLLER, management).</summary>
    private static int FreeBasePort(int nodes)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            // Below the ephemeral range (32768+), so outbound connections do not take them meanwhile.
            var basePort = 20000 + (Random.Shared.Next(0, 1200) * 10);
            var ports = Enumerable.Range(1, nodes).SelectMany(n => new[] { 0, 1, 2 }.Select(o => basePort + (10 * (n - 1)) + o));
            if (ports.All(IsFree))
            {
                return basePort;
            }
        }
        throw new InvalidOperationException("no free block of ports for the cluster");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDir, "cluster.env")))
            {
                await RunScriptAsync(["stop"]);
            }
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
            // the kill below still runs
        }
        // Whatever the script could not stop dies here: no test leaves a broker running.
        for (var n = 1; n <= Nodes; n++)
        {
            if (Pid(n) is { } pid && IsOurs(pid, n))
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // already gone
                }
            }
        }
        // Debugging a failure: AKKABROKER_KEEP_CLUSTER_LOGS=DIR keeps every node's whole log there.
        if (Environment.GetEnvironmentVariable("AKKABROKER_KEEP_CLUSTER_LOGS") is { Length: > 0 } keep)
        {
            var target = Path.Combine(keep, Path.GetFileName(DataDir));
            Directory.CreateDirectory(target);
            for (var n = 1; n <= Nodes; n++)
            {
                var log = Path.Combine(NodeDir(n), "node.log");
                if (File.Exists(log))
                {
                    File.Copy(log, Path.Combine(target, $"node-{n}.log"), overwrite: true);
                }
            }
            foreach (var log in Directory.EnumerateFiles(DataDir, "*.log"))
            {
                File.Copy(log, Path.Combine(target, Path.GetFileName(log)), overwrite: true);
            }
        }
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(DataDir))
                {
                    Directory.Delete(DataDir, recursive: true);
                }
                return;
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(200);
            }
        }
    }
}
