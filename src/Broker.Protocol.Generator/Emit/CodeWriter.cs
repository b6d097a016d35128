using System.Text;

namespace Broker.Protocol.Generator.Emit;

/// <summary>Indented C# text with LF line endings, so output is identical on every OS.</summary>
public sealed class CodeWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            _sb.Append(' ', _indent * 4);
            _sb.Append(text);
        }
        _sb.Append('\n');
    }

    public void Open(string header)
    {
        if (header.Length > 0)
        {
            Line(header);
        }
        Line("{");
        _indent++;
    }

    public void Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
    }

    /// <summary>Emits <paramref name="body"/> under <paramref name="condition"/>, without an if when it is constant.</summary>
    public void If(string condition, Action body)
    {
        if (condition == "false")
        {
            return;
        }
        if (condition == "true")
        {
            body();
            return;
        }
        Open($"if ({condition})");
        body();
        Close();
    }

    /// <summary>Emits an if/else on <paramref name="condition"/>, or only the branch that applies when it is constant.</summary>
    public void IfElse(string condition, Action whenTrue, Action whenFalse)
    {
        if (condition == "true")
        {
            whenTrue();
            return;
        }
        if (condition == "false")
        {
            whenFalse();
            return;
        }
        Open($"if ({condition})");
        whenTrue();
        Close();
        Open("else");
        whenFalse();
        Close();
    }

    public override string ToString() => _sb.ToString();
}
