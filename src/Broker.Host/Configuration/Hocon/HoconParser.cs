namespace Broker.Host.Configuration.Hocon;

/// <summary>
/// A recursive-descent HOCON parser (the subset Akka and Typesafe Config users write): root object
/// with or without braces; <c>=</c>, <c>:</c>, <c>+=</c> or an implied separator before <c>{</c>;
/// dotted keys that nest; object merging; <c>,</c> or newline separators; <c>#</c> and <c>//</c>
/// comments; arrays; quoted, unquoted and triple-quoted strings; value concatenation; substitutions;
/// <c>include "file"</c> (relative to the including file). Produces an unresolved tree; see
/// <see cref="HoconResolver"/> for substitutions. Errors name <c>file:line:column</c>.
/// </summary>
internal sealed partial class HoconParser
{
    private const int MaxIncludeDepth = 32;
    private const int MaxNesting = 256;

    private readonly string _text;
    private readonly string _displayName;
    private readonly string? _filePath;
    private readonly int _includeDepth;
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private int _nesting;

    private HoconParser(string text, string displayName, string? filePath, int includeDepth)
    {
        _text = text;
        _displayName = displayName;
        _filePath = filePath;
        _includeDepth = includeDepth;
    }

    /// <summary>Parses HOCON text. <paramref name="filePath"/> names it in errors and anchors relative includes.</summary>
    public static HoconObject Parse(string text, string? filePath = null)
        => new HoconParser(text, filePath ?? "", filePath, 0).ParseDocument(prefix: "");

    /// <summary>Parses a file.</summary>
    public static HoconObject ParseFile(string path)
        => ParseFile(path, includeDepth: 0, prefix: "");

    private static HoconObject ParseFile(string path, int includeDepth, string prefix)
    {
        var full = Path.GetFullPath(path);
        return new HoconParser(File.ReadAllText(full), path, full, includeDepth).ParseDocument(prefix);
    }

    private HoconObject ParseDocument(string prefix)
    {
        if (_text.Length > 0 && _text[0] == '\uFEFF')
        {
            _pos = 1;
        }

        SkipWhitespaceAndComments(newlines: true);
        HoconObject root;
        if (Peek() == '{')
        {
            root = ParseBracedObject(prefix);
            SkipWhitespaceAndComments(newlines: true);
            if (!AtEnd)
            {
                throw Error($"unexpected '{Peek()}' after the root object");
            }
        }
        else
        {
            root = new HoconObject(Origin());
            ParseObjectBody(root, braced: false, prefix);
        }

        return root;
    }

    private HoconObject ParseBracedObject(string prefix)
    {
        var obj = new HoconObject(Origin());
        Expect('{');
        Enter();
        ParseObjectBody(obj, braced: true, prefix);
        _nesting--;
        return obj;
    }

    /// <summary>Fields until <c>}</c> (braced) or the end of input (root without braces).</summary>
    private void ParseObjectBody(HoconObject obj, bool braced, string prefix)
    {
        while (true)
        {
            SkipWhitespaceAndComments(newlines: true);
            if (AtEnd)
            {
                if (braced)
                {
                    throw Error("expected '}' before the end of input");
                }

                return;
            }

            if (Peek() == '}')
            {
                if (!braced)
                {
                    throw Error("unexpected '}'");
                }

                _pos++;
                return;
            }

            if (Peek() == ',')
            {
                throw Error("unexpected ','");
            }

            if (AtIncludeKeyword())
            {
                ParseInclude(obj, prefix);
            }
            else
            {
                ParseField(obj, prefix);
            }

            // A field ends at a comma, a newline, the closing brace or the end of input.
            SkipWhitespaceAndComments(newlines: false);
            if (Peek() == ',')
            {
                _pos++;
            }
            else if (!AtEnd && Peek() != '\n' && Peek() != '}')
            {
                throw Error($"expected ',' or a newline after a field, found '{Peek()}'");
            }
        }
    }

    private void ParseField(HoconObject obj, string prefix)
    {
        var keyOrigin = Origin();
        var path = ParseKeyPath();
        SkipWhitespaceAndComments(newlines: false);
        var fullPath = Join(prefix, string.Join('.', path.Select(QuoteIfNeeded)));
        HoconValue value;
        var c = Peek();
        if (c == '{')
        {
            value = ParseBracedObject(fullPath);
        }
        else if (c == '=' || c == ':')
        {
            _pos++;
            SkipWhitespaceAndComments(newlines: true);
            value = ParseValue(fullPath);
        }
        else if (c == '+' && PeekAt(1) == '=')
        {
            _pos += 2;
            SkipWhitespaceAndComments(newlines: true);
            var origin = Origin();
            var item = ParseValue(fullPath);
            // a += x is a = ${?a} [x]: the self-reference sees the value a had before this line.
            value = new HoconConcatenation(
                [new HoconSubstitution(fullPath, optional: true, origin), new HoconArray([item], origin)], origin);
        }
        else
        {
            throw Error(AtEnd
                ? $"expected '=', ':' or '{{' after key '{string.Join('.', path)}', found the end of input"
                : $"expected '=', ':' or '{{' after key '{string.Join('.', path)}', found '{c}'");
        }

        // a.b.c = v is a { b { c = v } }.
        for (var i = path.Count - 1; i > 0; i--)
        {
            var wrapper = new HoconObject(keyOrigin);
            wrapper.Assign(path[i], value);
            value = wrapper;
        }

        obj.Assign(path[0], value);
    }

    /// <summary>A value and everything concatenated with it on the same line.</summary>
    private HoconValue ParseValue(string fieldPath)
    {
        var origin = Origin();
        var parts = new List<HoconValue>(1) { ParseSingleValue(fieldPath) };
        while (true)
        {
            var wsStart = _pos;
            var wsOrigin = Origin();
            SkipInlineWhitespace();
            if (AtValueEnd() || !AtValueStart())
            {
                break;
            }

            if (_pos > wsStart)
            {
                parts.Add(new HoconScalar(_text[wsStart.._pos], wsOrigin, isWhitespace: true));
            }

            parts.Add(ParseSingleValue(fieldPath));
        }

        return parts.Count == 1 ? parts[0] : new HoconConcatenation(parts, origin);
    }

    private HoconValue ParseSingleValue(string fieldPath)
    {
        var origin = Origin();
        var c = Peek();
        switch (c)
        {
            case '{':
                return ParseBracedObject(fieldPath);
            case '[':
                return ParseArray();
            case '"':
                return new HoconScalar(ParseQuotedOrTripleString(), origin);
            case '$' when PeekAt(1) == '{':
                return ParseSubstitution();
            default:
                if (AtEnd)
                {
                    throw Error("expected a value, found the end of input");
                }

                var token = ReadUnquoted();
                if (token.Length == 0)
                {
                    throw Error($"expected a value, found '{c}'");
                }

                return new HoconScalar(token == "null" ? null : token, origin);
        }
    }

    private HoconArray ParseArray()
    {
        var origin = Origin();
        Expect('[');
        Enter();
        var items = new List<HoconValue>();
        while (true)
        {
            SkipWhitespaceAndComments(newlines: true);
            if (Peek() == ']')
            {
                _pos++;
                break;
            }

            if (AtEnd)
            {
                throw Error("expected ']' before the end of input");
            }

            items.Add(ParseValue(fieldPath: ""));
            SkipWhitespaceAndComments(newlines: false);
            if (Peek() == ',')
            {
                _pos++;
            }
            else if (Peek() != '\n' && Peek() != ']')
            {
                throw Error(AtEnd ? "expected ']' before the end of input" : $"expected ',' or ']' in an array, found '{Peek()}'");
            }
        }

        _nesting--;
        return new HoconArray(items, origin);
    }

    private HoconSubstitution ParseSubstitution()
    {
        var origin = Origin();
        _pos += 2;
        var optional = false;
        if (Peek() == '?')
        {
            optional = true;
            _pos++;
        }

        var path = ParseKeyPath();
        if (Peek() != '}')
        {
            throw Error("expected '}' to close the substitution");
        }

        _pos++;
        return new HoconSubstitution(string.Join('.', path.Select(QuoteIfNeeded)), optional, origin);
    }

    private void ParseInclude(HoconObject obj, string prefix)
    {
        var origin = Origin();
        _pos += "include".Length;
        SkipInlineWhitespace();
        var required = false;
        var closers = 0;
        if (TryConsumeWord("required("))
        {
            required = true;
            closers++;
        }

        if (TryConsumeWord("file("))
        {
            closers++;
        }
        else if (TryConsumeWord("url(") || TryConsumeWord("classpath("))
        {
            throw Error("only file includes are supported (include \"file\" or include file(\"file\"))");
        }

        if (Peek() != '"')
        {
            throw Error("expected a quoted file name after include");
        }

        var name = ParseQuotedOrTripleString();
        for (var i = 0; i < closers; i++)
        {
            Expect(')');
        }

        if (_includeDepth >= MaxIncludeDepth)
        {
            throw new HoconException(origin, $"includes nested deeper than {MaxIncludeDepth} (an include cycle?)");
        }

        var baseDir = _filePath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(_filePath)!;
        var target = Path.GetFullPath(Path.Combine(baseDir, name));
        if (!File.Exists(target))
        {
            // HOCON: a missing include is silently ignored unless required(...).
            if (required)
            {
                throw new HoconException(origin, $"required include '{name}' not found (looked for {target})");
            }

            return;
        }

        obj.MergeFrom(ParseFile(target, _includeDepth + 1, prefix));
    }

    private void Enter()
    {
        if (++_nesting > MaxNesting)
        {
            throw Error($"objects and arrays nested deeper than {MaxNesting}");
        }
    }

    private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;

    /// <summary>Quotes a path element that contains a dot so the dotted path stays unambiguous.</summary>
    internal static string QuoteIfNeeded(string element)
        => element.Length == 0 || element.AsSpan().IndexOfAny(".\" ") >= 0 ? "\"" + element.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : element;
}
