using Broker.Host.Configuration.Hocon;
using static Broker.Host.Tests.Configuration.HoconTestHelper;

namespace Broker.Host.Tests.Configuration;

public class HoconErrorTests
{
    [Theory]
    [InlineData("a = 1\nb = 2\nc = \"unterminated\n", "line 3, column 5", "unterminated quoted string")]
    [InlineData("a = 1\n\n  b 2\n", "line 3, column 5", "expected '=', ':' or '{' after key 'b'")]
    [InlineData("a {\n  b = 1\n", "line 3, column 1", "expected '}'")]
    [InlineData("a = [1, 2\nb = 3", "line 2, column 3", "expected ',' or ']'")]
    [InlineData("a = 1 }", "line 1, column 7", "unexpected '}'")]
    [InlineData("a = 1 2 = 3", "line 1, column 9", "expected ',' or a newline")]
    [InlineData("x = 1\ny = \"\"\"never closed", "line 2, column 5", "unterminated triple-quoted string")]
    [InlineData("a = \"bad \\q escape\"", "line 1, column 10", "unknown escape")]
    [InlineData("= 1", "line 1, column 1", "expected a key")]
    [InlineData("a = ", "line 1, column 5", "expected a value")]
    [InlineData("a = ${b", "line 1, column 8", "expected '}' to close the substitution")]
    public void SyntaxErrors_NameLineAndColumn(string hocon, string origin, string message)
    {
        var e = Assert.Throws<HoconException>(() => Flat(hocon));
        Assert.Equal(origin, e.Origin);
        Assert.Contains(message, e.Reason, StringComparison.Ordinal);
        Assert.StartsWith(origin + ": ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingRequiredSubstitution_NamesItsLine()
    {
        var e = Assert.Throws<HoconException>(() => Flat("a = 1\nb = ${nope.nothing}"));
        Assert.Equal("line 2, column 5", e.Origin);
        Assert.Contains("${nope.nothing}", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SubstitutionCycle_IsAnError()
    {
        var e = Assert.Throws<HoconException>(() => Flat("a = ${b}\nb = ${a}"));
        Assert.Contains("cycle", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectContainingItsOwnSubstitution_IsAnError()
    {
        Assert.Throws<HoconException>(() => Flat("a { b = ${a} }"));
    }

    [Fact]
    public void ConcatenatingObjectWithString_IsAnError()
    {
        var e = Assert.Throws<HoconException>(() => Flat("o { x = 1 }\na = ${o} text"));
        Assert.Contains("cannot concatenate", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorsInFiles_NameTheFile()
    {
        var dir = TempDir();
        try
        {
            var file = Path.Combine(dir, "bad.conf");
            File.WriteAllText(file, "a = 1\nb = [\n");
            var e = Assert.Throws<HoconException>(() => HoconParser.ParseFile(file));
            Assert.StartsWith(file + ":3:1", e.Origin, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DeepNesting_IsRejectedNotAStackOverflow()
    {
        var text = "a = " + new string('[', 10_000) + new string(']', 10_000);
        var e = Assert.Throws<HoconException>(() => Flat(text));
        Assert.Contains("nested deeper", e.Reason, StringComparison.Ordinal);
    }
}
