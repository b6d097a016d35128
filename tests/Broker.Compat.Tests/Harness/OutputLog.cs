using System.Text;

namespace Broker.Compat.Tests.Harness;

/// <summary>A child process's stdout and stderr, interleaved as they arrive, for failure messages.</summary>
public sealed class OutputLog
{
    private readonly StringBuilder _text = new();
    private readonly object _gate = new();

    public void Append(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            _text.Append('[').Append(stream).Append("] ").AppendLine(line);
        }
    }

    public void Note(string line)
    {
        lock (_gate)
        {
            _text.Append("--- ").AppendLine(line);
        }
    }

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>The last <paramref name="maxChars"/> characters: enough to explain a failure without flooding it.</summary>
    public string Tail(int maxChars = 8000)
    {
        var text = Text;
        return text.Length <= maxChars ? text : "...\n" + text[^maxChars..];
    }
}
