using System.Text.Json;

namespace Broker.Compat.Tests.Harness;

/// <summary>How a client run ended: exit code and everything it printed.</summary>
public sealed record ClientResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The exit code of a compat client script asked for something its client cannot do.</summary>
    public const int UnsupportedExitCode = 64;

    public bool Succeeded => ExitCode == 0;
    public bool IsUnsupported => ExitCode == UnsupportedExitCode;

    /// <summary>Throws with the whole output unless the client exited 0.</summary>
    public ClientResult EnsureSuccess() =>
        Succeeded ? this : throw new ClientFailedException($"client failed:\n{this}");

    /// <summary>Stdout parsed as JSON lines (the compat scripts' output format; kcat -J's too).</summary>
    public IReadOnlyList<JsonElement> JsonLines()
    {
        var lines = new List<JsonElement>();
        foreach (var line in Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                lines.Add(doc.RootElement.Clone());
            }
            catch (JsonException e)
            {
                throw new ClientFailedException($"not a JSON line: {line} ({e.Message})\n{this}");
            }
        }
        return lines;
    }

    public override string ToString() =>
        $"$ {Command}\nexit code {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

public sealed class ClientFailedException(string message) : Exception(message);
