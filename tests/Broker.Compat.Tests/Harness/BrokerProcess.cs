using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Broker.Compat.Tests.Harness;

/// <summary>
/// One broker process for a test: started on a free loopback port with its own temporary data
/// folder, ready once the port accepts TCP connections, and torn down (killed, folder deleted) on
/// dispose. Its stdout and stderr are kept for failure messages. <see cref="Kill9Async"/> and
/// <see cref="RestartAsync"/> are there for crash tests: the data folder and port survive a restart.
/// </summary>
public sealed partial class BrokerProcess : IAsyncDisposable
{
    private readonly Func<BrokerProcess, ProcessStartInfo> _command;
    private readonly TimeSpan _startTimeout;
    private readonly OutputLog _log = new();
    private Process? _process;
    private int _starts;

    private BrokerProcess(Func<BrokerProcess, ProcessStartInfo> command, TimeSpan startTimeout)
    {
        _command = command;
        _startTimeout = startTimeout;
        Port = FreePort.Next();
        DataDir = Directory.CreateTempSubdirectory("akkabroker-compat-").FullName;
    }

    public int Port { get; }

    /// <summary>The temporary folder this process owns; the broker's log.dirs is <see cref="LogDirs"/> inside it.</summary>
    public string DataDir { get; }

    public string LogDirs => Path.Combine(DataDir, "logs");
    public string BootstrapServers => $"127.0.0.1:{Port}";
    public string Output => _log.Text;
    public bool HasExited => _process is null || _process.HasExited;
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>The running process's id (for /proc reads such as VmRSS).</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");

    /// <summary>The broker's resident set size in bytes, from /proc/PID/status (Linux).</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }
        throw new InvalidOperationException("no VmRSS line");
    }

    /// <summary>Starts the broker built next to these tests and waits until it listens.</summary>
    public static Task<BrokerProcess> StartAsync(BrokerOptions? options = null)
    {
        options ??= new BrokerOptions();
        return StartAsync(b => BrokerCommand(b.Port, b.LogDirs, options), options.StartTimeout);
    }

    /// <summary>Starts any listener-like process (the test of this harness uses a stand-in).</summary>
    public static async Task<BrokerProcess> StartAsync(Func<BrokerProcess, ProcessStartInfo> command, TimeSpan startTimeout)
    {
        var broker = new BrokerProcess(command, startTimeout);
        try
        {
            await broker.LaunchAsync();
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>The broker's command line: the HOCON file, then --set for the listener, log.dirs, node.id and any extra settings.</summary>
    public static ProcessStartInfo BrokerCommand(int port, string logDirs, BrokerOptions options)
    {
        var info = new ProcessStartInfo(RepoPaths.DotnetHost) { WorkingDirectory = RepoPaths.Root };
        info.ArgumentList.Add(RepoPaths.BrokerDll);
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(Path.Combine(RepoPaths.Root, options.ConfigFile));
        var settings = new Dictionary<string, string>
        {
            ["log.dirs"] = logDirs,
            ["listeners"] = $"PLAINTEXT://127.0.0.1:{port}",
            ["node.id"] = options.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in options.Settings)
        {
            settings[k] = v;
        }
        foreach (var (k, v) in settings)
        {
            info.ArgumentList.Add("--set");
            info.ArgumentList.Add($"{k}={v}");
        }
        return info;
    }

    private async Task LaunchAsync()
    {
        var info = _command(this);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        _starts++;
        _log.Note($"start #{_starts}: {info.FileName} {string.Join(' ', info.ArgumentList)}");
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => _log.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => _log.Append("err", e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {info.FileName}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilListeningAsync(_startTimeout);
    }

    /// <summary>Waits until the port accepts connections; fails with the output if the process exits first.</summary>
    public async Task WaitUntilListeningAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("not started");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(); // drains the output events
                throw new BrokerProcessException(
                    $"the broker exited with code {process.ExitCode} before listening on {BootstrapServers}:\n{_log.Tail()}");
            }
            if (await FreePort.AcceptsAsync(Port))
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new BrokerProcessException($"the broker did not listen on {BootstrapServers} within {timeout.TotalSeconds:0}s:\n{_log.Tail()}");
    }

    /// <summary>Asks the broker to shut down (SIGTERM) and kills it if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        var process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }
        _log.Note("stop (SIGTERM)");
        if (!OperatingSystem.IsWindows() && Posix.Kill(process.Id, Posix.SigTerm) == 0)
        {
            using var cts = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(cts.Token);
                return;
            }
            catch (OperationCanceledException)
            {
                _log.Note("no exit after SIGTERM: killing");
            }
        }
        await KillAsync();
    }

    /// <summary>kill -9: no shutdown code runs, nothing is flushed. For crash-recovery tests.</summary>
    public Task Kill9Async()
    {
        _log.Note("kill -9");
        return KillAsync();
    }

    private async Task KillAsync()
    {
        var process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }
        process.Kill(entireProcessTree: true); // SIGKILL on Unix
        await process.WaitForExitAsync();
    }

    /// <summary>Starts the broker again on the same port and data folder (after a stop, a kill, or while running: then it is stopped first).</summary>
    public async Task RestartAsync(bool crash = false)
    {
        if (crash)
        {
            await Kill9Async();
        }
        else
        {
            await StopAsync();
        }
        _process?.Dispose();
        _process = null;
        await LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        _process?.Dispose();
        _process = null;
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

    private static partial class Posix
    {
        public const int SigTerm = 15;

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static partial int Kill(int pid, int signal);
    }
}

public sealed class BrokerProcessException(string message) : Exception(message);
