using static Broker.Host.Tests.Configuration.HoconTestHelper;

namespace Broker.Host.Tests.Configuration;

public class HoconParserTests
{
    private static string Vals(Dictionary<string, string?> d, params string[] keys) => string.Join(",", keys.Select(k => d[k]));

    [Fact]
    public void Separators_EqualsColonAndImpliedBeforeBrace()
    {
        var d = Flat("a = 1\nb : two\nc { d = 3 }\ne = { f = 4 }");
        Assert.Equal("1", d["a"]);
        Assert.Equal("two", d["b"]);
        Assert.Equal("3", d["c:d"]);
        Assert.Equal("4", d["e:f"]);
    }

    [Fact]
    public void RootBraces_AreOptional()
    {
        Assert.Equal("1", Flat("{ a = 1 }")["a"]);
        Assert.Equal("1", Flat("{\n  a = 1\n}\n")["a"]);
    }

    [Fact]
    public void DottedKeys_Nest_KafkaNamesBecomeConfigurationPaths()
    {
        var d = Flat("socket.request.max.bytes = 100MiB\nlog.dirs = x");
        Assert.Equal("100MiB", d["socket:request:max:bytes"]);
        Assert.Equal("x", d["log:dirs"]);
    }

    [Fact]
    public void QuotedKeyElement_KeepsItsDot()
    {
        var d = Flat("a.\"b.c\".d = 1");
        Assert.Equal("1", d["a:b.c:d"]);
    }

    [Fact]
    public void Comments_HashAndDoubleSlash()
    {
        var d = Flat("# header\na = 1 # trailing\n// another\nb = 2 // trailing\nc = \"not # a comment\"");
        Assert.Equal("1", d["a"]);
        Assert.Equal("2", d["b"]);
        Assert.Equal("not # a comment", d["c"]);
        Assert.Equal(3, d.Count);
    }

    [Fact]
    public void CommasAndNewlines_SeparateFields()
    {
        var d = Flat("a = 1, b = 2\nc = 3,\nd = 4");
        Assert.Equal("1,2,3,4", Vals(d, "a", "b", "c", "d"));
    }

    [Fact]
    public void Objects_MergeAndLaterValuesWin()
    {
        var d = Flat("a { x = 1, y = 2 }\na { y = 3, z = 4 }\na.w = 5");
        Assert.Equal("1", d["a:x"]);
        Assert.Equal("3", d["a:y"]);
        Assert.Equal("4", d["a:z"]);
        Assert.Equal("5", d["a:w"]);
    }

    [Fact]
    public void NonObject_ReplacesObjectAndViceVersa()
    {
        var d = Flat("a { x = 1 }\na = 7\nb = 7\nb { y = 2 }");
        Assert.Equal("7", d["a"]);
        Assert.False(d.ContainsKey("a:x"));
        Assert.Equal("2", d["b:y"]);
        Assert.False(d.ContainsKey("b"));
    }

    [Fact]
    public void Arrays_BecomeIndexedKeys_WithCommasOrNewlines()
    {
        var d = Flat("process.roles = [broker, controller]\nl = [\n  \"a\"\n  b, # comment\n  c\n]\nempty = []");
        Assert.Equal("broker", d["process:roles:0"]);
        Assert.Equal("controller", d["process:roles:1"]);
        Assert.Equal("a,b,c", Vals(d, "l:0", "l:1", "l:2"));
        Assert.Equal("", d["empty"]);
    }

    [Fact]
    public void ArrayOfObjects()
    {
        var d = Flat("xs = [{ a = 1 }, { a = 2 }]");
        Assert.Equal("1", d["xs:0:a"]);
        Assert.Equal("2", d["xs:1:a"]);
    }

    [Fact]
    public void QuotedStrings_JsonEscapes()
    {
        var d = Flat("a = \"tab\\there \\\"q\\\" \\u0041 \\\\ \\/\"\nb = \"PLAINTEXT://127.0.0.1:9092\"");
        Assert.Equal("tab\there \"q\" A \\ /", d["a"]);
        Assert.Equal("PLAINTEXT://127.0.0.1:9092", d["b"]);
    }

    [Fact]
    public void TripleQuotedStrings_AreRawAndMultiline()
    {
        var d = Flat("a = \"\"\"line 1\n  \"quoted\" \\n raw\nline 3\"\"\"\nb = 2\nc = \"\"\"x\"\"\"\"");
        Assert.Equal("line 1\n  \"quoted\" \\n raw\nline 3", d["a"]);
        Assert.Equal("2", d["b"]);
        Assert.Equal("x\"", d["c"]);
    }

    [Fact]
    public void UnquotedValues_NumbersBooleansNull()
    {
        var d = Flat("i = -12\nf = 1.5\nt = true\nn = null\nu = some-thing_1.2");
        Assert.Equal("-12", d["i"]);
        Assert.Equal("1.5", d["f"]);
        Assert.Equal("true", d["t"]);
        Assert.Null(d["n"]);
        Assert.Equal("some-thing_1.2", d["u"]);
    }

    [Fact]
    public void Concatenation_KeepsInnerWhitespace()
    {
        var d = Flat("a = foo bar   baz\nb = \"x\" y\"z\"\nc = 100 MiB");
        Assert.Equal("foo bar   baz", d["a"]);
        Assert.Equal("x yz", d["b"]);
        Assert.Equal("100 MiB", d["c"]);
    }

    [Fact]
    public void Concatenation_OfArraysAndObjects()
    {
        var d = Flat("a = [1, 2] [3]\nbase { x = 1, y = 2 }\nderived = ${base} { y = 3 }");
        Assert.Equal("1,2,3", Vals(d, "a:0", "a:1", "a:2"));
        Assert.Equal("1", d["derived:x"]);
        Assert.Equal("3", d["derived:y"]);
        Assert.Equal("2", d["base:y"]);
    }

    [Fact]
    public void Substitutions_ResolveAgainstTheFinalDocument()
    {
        var d = Flat("dir = /var\nlog.dirs = ${dir}/data\nport = 9092\nlisteners = \"PLAINTEXT://:\"${port}\ndir = /srv");
        Assert.Equal("/srv/data", d["log:dirs"]);
        Assert.Equal("PLAINTEXT://:9092", d["listeners"]);
    }

    [Fact]
    public void Substitution_OfObjectsAndNestedPaths()
    {
        var d = Flat("a { b { c = 1 } }\nx = ${a.b}\ny = ${a.b.c}");
        Assert.Equal("1", d["x:c"]);
        Assert.Equal("1", d["y"]);
    }

    [Fact]
    public void Substitution_ChainsThroughOtherSubstitutions()
    {
        var d = Flat("a = ${b}\nb = ${c}\nc = deep");
        Assert.Equal("deep", d["a"]);
    }

    [Fact]
    public void OptionalSubstitution_MissingLeavesFieldUnsetOrPrevious()
    {
        var d = Flat("a = 1\na = ${?NOPE}\nb = ${?NOPE}\nc = [x, ${?NOPE}, y]\ne = pre${?NOPE}post");
        Assert.Equal("1", d["a"]);
        Assert.False(d.ContainsKey("b"));
        Assert.Equal("x,y", Vals(d, "c:0", "c:1"));
        Assert.False(d.ContainsKey("c:2"));
        Assert.Equal("prepost", d["e"]);
    }

    [Fact]
    public void Substitutions_FallBackToEnvironment()
    {
        var env = new Dictionary<string, string> { ["BROKER_HOST"] = "10.0.0.5", ["HOME"] = "/home/k" };
        var d = Flat("host = ${BROKER_HOST}\nopt = ${?HOME}\ndirs = ${?HOME}/data\nmissing = ${?NOT_SET}\nhome = inconfig\nh2 = ${home}",
            n => env.GetValueOrDefault(n));
        Assert.Equal("10.0.0.5", d["host"]);
        Assert.Equal("/home/k", d["opt"]);
        Assert.Equal("/home/k/data", d["dirs"]);
        Assert.False(d.ContainsKey("missing"));
        Assert.Equal("inconfig", d["h2"]);
    }

    [Fact]
    public void SelfReference_AndPlusEquals_SeeThePreviousValue()
    {
        var d = Flat("path = a\npath = ${path}\":b\"\nroles = [broker]\nroles += controller\nfresh += x");
        Assert.Equal("a:b", d["path"]);
        Assert.Equal("broker", d["roles:0"]);
        Assert.Equal("controller", d["roles:1"]);
        Assert.Equal("x", d["fresh:0"]);
    }

    [Fact]
    public void PlusEquals_OnANestedDottedPath()
    {
        var d = Flat("a { b = [1] }\na.b += 2");
        Assert.Equal("1,2", Vals(d, "a:b:0", "a:b:1"));
    }

    [Fact]
    public void ObjectAssignedOverSubstitution_MergesLater()
    {
        var d = Flat("base { a = 1 }\nx = ${base}\nx { b = 2 }");
        Assert.Equal("1", d["x:a"]);
        Assert.Equal("2", d["x:b"]);
        Assert.False(d.ContainsKey("base:b"));
    }

    [Fact]
    public void ConfigurationProvider_ExposesPathsAndSections()
    {
        var config = Build("log.retention.ms = 7d\nprocess.roles = [broker, controller]");
        Assert.Equal("7d", config["log:retention:ms"]);
        Assert.Equal(["broker", "controller"], config.GetSection("process:roles").GetChildren().Select(c => c.Value));
    }

    [Fact]
    public void EmptyDocuments()
    {
        Assert.Empty(Flat(""));
        Assert.Empty(Flat("# only a comment\n\n"));
        Assert.Empty(Flat("{}"));
    }
}
