using System.Diagnostics;
using System.Text.Json;

namespace Broker.Compat.Tests.Harness;

/// <summary>
/// A long-running client (a group member, a streaming producer) that a test drives while it runs:
/// its stdout JSON lines are collected as they arrive, closing its stdin asks it to finish cleanly,
/// <see cref="Kill9Async"/> SIGKILLs it. Disposing kills it if it still runs, so a failed test
/// leaves no client behind.
/// </summary>
public sealed class ClientProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<JsonElement> _lines = [];
    private readonly OutputLog _log = new();
    private readonly TaskCompletionSource _stdoutDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ClientProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>The test's name for this client (in failure messages).</summary>
    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>; stdin stays open until <see cref="CloseInputAsync"/>.</summary>
    public static ClientProcess Start(string name, string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        info.Environment["KAFKAJS_NO_PARTITIONER_WARNING"] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var client = new ClientProcess(name, process);
        process.OutputDataReceived += (_, e) => client.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => client._log.Append("err", e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {fileName}");
        }
        client._log.Note($"{name}: {fileName} {string.Join(' ', info.ArgumentList)} (pid {process.Id})");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return client;
    }

    /// <summary>A script in tests/compat/python run with the system python.</summary>
    public static ClientProcess Python(string name, string script, IEnumerable<string> arguments) =>
        Start(name, RepoPaths.Python, arguments.Prepend(Path.Combine(RepoPaths.PythonDir, script)));

    /// <summary>A script in tests/compat/node (kafkajs resolves from its node_modules).</summary>
    public static ClientProcess Node(string name, string script, IEnumerable<string> arguments) =>
        Start(name, "node", arguments.Prepend(Path.Combine(RepoPaths.NodeDir, script)));

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _stdoutDone.TrySetResult();
            return;
        }
        _log.Append("out", line);
        try
        {
            using var doc = JsonDocument.Parse(line);
            lock (_lines)
            {
                _lines.Add(doc.RootElement.Clone());
            }
        }
        catch (JsonException)
        {
            // Not a JSON line: kept in the log for the failure message only.
        }
    }

    /// <summary>The JSON lines printed so far.</summary>
    public IReadOnlyList<JsonElement> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Everything it printed (stdout and stderr), for failure messages.</summary>
    public string Output => _log.Tail(20_000);

    /// <summary>Waits until <paramref name="condition"/> holds over the lines printed so far; fails with the output if the client exits or time runs out.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<JsonElement>, bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition(Lines))
        {
            if (_process.HasExited)
            {
                await _stdoutDone.Task.WaitAsync(TimeSpan.FromSeconds(5));
                if (condition(Lines))
                {
                    return;
                }
                throw new ClientFailedException($"{Name} exited ({_process.ExitCode}) before {what}:\n{Output}");
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name}: no {what} within {timeout.TotalSeconds:0}s:\n{Output}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Closes stdin (the scripts' signal to finish cleanly) and waits for a zero exit.</summary>
    public async Task CloseInputAsync(TimeSpan timeout)
    {
        _log.Note("stdin closed");
        _process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"{Name} did not finish within {timeout.TotalSeconds:0}s of its stdin closing:\n{Output}");
        }
        await _stdoutDone.Task.WaitAsync(TimeSpan.FromSeconds(5));
        if (_process.ExitCode != 0)
        {
            throw new ClientFailedException($"{Name} exited with {_process.ExitCode}:\n{Output}");
        }
    }

    /// <summary>SIGKILL: the client gets no chance to leave its group or commit. Returns when it was gone (epoch ms).</summary>
    public async Task<long> Kill9Async()
    {
        _log.Note("kill -9");
        await KillAsync();
        return DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }

    private async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        _process.Dispose();
    }
}
