using System.Globalization;
using System.Text;

namespace Broker.Host.Configuration.Hocon;

/// <summary>Characters: whitespace, comments, keys, quoted / unquoted / triple-quoted strings, positions.</summary>
internal sealed partial class HoconParser
{
    // HOCON forbids these in unquoted strings; '/' only as the start of a "//" comment.
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    private bool AtEnd => _pos >= _text.Length;

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private char PeekAt(int offset) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private string Origin() => Origin(_pos);

    private string Origin(int pos)
    {
        var column = pos - _lineStart + 1;
        return _displayName.Length == 0
            ? string.Create(CultureInfo.InvariantCulture, $"line {_line}, column {column}")
            : string.Create(CultureInfo.InvariantCulture, $"{_displayName}:{_line}:{column}");
    }

    private HoconException Error(string message) => new(Origin(), message);

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw Error(AtEnd ? $"expected '{c}', found the end of input" : $"expected '{c}', found '{Peek()}'");
        }

        _pos++;
    }

    private static bool IsInlineWhitespace(char c) => c != '\n' && (char.IsWhiteSpace(c) || c == '\uFEFF');

    private void SkipInlineWhitespace()
    {
        while (!AtEnd && IsInlineWhitespace(_text[_pos]))
        {
            _pos++;
        }
    }

    /// <summary>Skips spaces and comments, and newlines too when <paramref name="newlines"/> is set.</summary>
    private void SkipWhitespaceAndComments(bool newlines)
    {
        while (!AtEnd)
        {
            var c = _text[_pos];
            if (c == '\n')
            {
                if (!newlines)
                {
                    return;
                }

                NewLine();
            }
            else if (IsInlineWhitespace(c))
            {
                _pos++;
            }
            else if (c == '#' || (c == '/' && PeekAt(1) == '/'))
            {
                while (!AtEnd && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private void NewLine()
    {
        _pos++;
        _line++;
        _lineStart = _pos;
    }

    /// <summary>True where a value (and its concatenation) ends: newline, separator, closer, comment, end.</summary>
    private bool AtValueEnd()
    {
        if (AtEnd)
        {
            return true;
        }

        var c = _text[_pos];
        return c is '\n' or ',' or '}' or ']' or '#' || (c == '/' && PeekAt(1) == '/');
    }

    /// <summary>True if a value can start here (so a following token continues a concatenation).</summary>
    private bool AtValueStart()
    {
        var c = Peek();
        return c is '{' or '[' or '"' || (c == '$' && PeekAt(1) == '{') || (!AtEnd && !Forbidden.Contains(c));
    }

    private string ReadUnquoted(bool stopAtDot = false)
    {
        var start = _pos;
        while (!AtEnd)
        {
            var c = _text[_pos];
            if (Forbidden.Contains(c) || char.IsWhiteSpace(c) || c == '\uFEFF'
                || (c == '/' && PeekAt(1) == '/') || (stopAtDot && c == '.'))
            {
                break;
            }

            _pos++;
        }

        return _text[start.._pos];
    }

    /// <summary>A key path: elements (quoted or unquoted) separated by dots, e.g. <c>log.dirs</c> or <c>a."b.c"</c>.</summary>
    private List<string> ParseKeyPath()
    {
        var path = new List<string>(4);
        while (true)
        {
            string element;
            if (Peek() == '"')
            {
                element = ParseQuotedOrTripleString();
            }
            else
            {
                element = ReadUnquoted(stopAtDot: true);
                if (element.Length == 0)
                {
                    throw Error(AtEnd ? "expected a key, found the end of input" : $"expected a key, found '{Peek()}'");
                }
            }

            path.Add(element);
            if (Peek() != '.')
            {
                return path;
            }

            _pos++;
        }
    }

    private bool AtIncludeKeyword()
    {
        if (string.CompareOrdinal(_text, _pos, "include", 0, 7) != 0 || _pos + 7 >= _text.Length
            || !IsInlineWhitespace(_text[_pos + 7]))
        {
            return false;
        }

        var p = _pos + 7;
        while (p < _text.Length && IsInlineWhitespace(_text[p]))
        {
            p++;
        }

        var rest = _text.AsSpan(p);
        return rest.StartsWith("\"") || rest.StartsWith("file(") || rest.StartsWith("required(")
            || rest.StartsWith("url(") || rest.StartsWith("classpath(");
    }

    private bool TryConsumeWord(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0)
        {
            return false;
        }

        _pos += word.Length;
        return true;
    }

    /// <summary>A JSON-style quoted string or a raw <c>"""triple-quoted"""</c> one.</summary>
    private string ParseQuotedOrTripleString()
    {
        if (PeekAt(1) == '"' && PeekAt(2) == '"')
        {
            return ParseTripleQuoted();
        }

        var origin = Origin();
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd || _text[_pos] == '\n')
            {
                throw new HoconException(origin, "unterminated quoted string");
            }

            var c = _text[_pos++];
            if (c == '"')
            {
                return sb.ToString();
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (AtEnd)
            {
                throw new HoconException(origin, "unterminated quoted string");
            }

            var e = _text[_pos++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (_pos + 4 > _text.Length
                        || !ushort.TryParse(_text.AsSpan(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw Error("expected four hex digits after \\u");
                    }

                    sb.Append((char)code);
                    _pos += 4;
                    break;
                default:
                    _pos -= 2;
                    throw Error($"unknown escape '\\{e}' in a quoted string");
            }
        }
    }

    private string ParseTripleQuoted()
    {
        var origin = Origin();
        _pos += 3;
        var start = _pos;
        var end = _text.IndexOf("\"\"\"", _pos, StringComparison.Ordinal);
        if (end < 0)
        {
            throw new HoconException(origin, "unterminated triple-quoted string");
        }

        // Extra quotes before the closing three belong to the string ("""a"""" is a").
        while (end + 3 < _text.Length && _text[end + 3] == '"')
        {
            end++;
        }

        for (var i = start; i < end; i++)
        {
            if (_text[i] == '\n')
            {
                _line++;
                _lineStart = i + 1;
            }
        }

        _pos = end + 3;
        return _text[start..end];
    }
}
