using System.Diagnostics;

namespace Broker.Compat.Tests.Harness;

/// <summary>
/// Runs a real client (a compat script or a kcat command line) to completion with a timeout. A run
/// that outlives its timeout is killed and reported with whatever it printed, so a hung client
/// fails the test with its own output instead of hanging the suite.
/// </summary>
public static class ClientRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    public static async Task<ClientResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan? timeout = null,
        string? stdin = null,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        // Python must not write __pycache__ into the checkout.
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        info.Environment["KAFKAJS_NO_PARTITIONER_WARNING"] = "1";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                info.Environment[k] = v;
            }
        }
        var command = string.Join(' ', info.ArgumentList.Prepend(fileName).Select(Quote));
        var limit = timeout ?? DefaultTimeout;

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The client exited without reading its input; its exit code and output say why.
        }

        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            var partial = new ClientResult(command, -1, await stdout, await stderr);
            throw new TimeoutException($"client did not finish within {limit.TotalSeconds:0}s and was killed:\n{partial}");
        }
        return new ClientResult(command, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs tests/compat/python/<paramref name="script"/> with the system python the clients are installed for.</summary>
    public static Task<ClientResult> PythonAsync(string script, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        RunAsync(RepoPaths.Python, arguments.Prepend(Path.Combine(RepoPaths.PythonDir, script)), timeout);

    /// <summary>Runs tests/compat/node/<paramref name="script"/> (kafkajs resolves from tests/compat/node/node_modules).</summary>
    public static Task<ClientResult> NodeAsync(string script, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        RunAsync("node", arguments.Prepend(Path.Combine(RepoPaths.NodeDir, script)), timeout);

    public static Task<ClientResult> KcatAsync(IEnumerable<string> arguments, string? stdin = null, TimeSpan? timeout = null) =>
        RunAsync("kcat", arguments, timeout, stdin);

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./:=,@+".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
