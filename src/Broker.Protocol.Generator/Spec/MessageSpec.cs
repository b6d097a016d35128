using System.Text.Json;

namespace Broker.Protocol.Generator.Spec;

/// <summary>Which folder a spec came from; decides the namespace and output folder.</summary>
public enum SpecFolder
{
    Message,
    Metadata,
    Coordinator,
}

/// <summary>One JSON spec file: a request, response, header, metadata record or data structure.</summary>
public sealed class MessageSpec
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public required SpecFolder Folder { get; init; }
    public required string SourcePath { get; init; }
    public short? ApiKey { get; init; }
    public required VersionRange ValidVersions { get; init; }
    public required VersionRange FlexibleVersions { get; init; }
    public required List<FieldSpec> Fields { get; init; }
    public List<StructDefinition> CommonStructs { get; init; } = new();
    public List<string> Listeners { get; init; } = new();
    public bool LatestVersionUnstable { get; init; }

    public bool IsRequest => Type == "request";
    public bool IsResponse => Type == "response";
}

/// <summary>A named struct with its fields: an inline struct or one of the spec's commonStructs.</summary>
public sealed class StructDefinition
{
    public required string Name { get; init; }
    public required VersionRange Versions { get; init; }
    public required List<FieldSpec> Fields { get; init; }
}

public sealed class FieldSpec
{
    public required string Name { get; init; }
    public required FieldType Type { get; init; }
    public required VersionRange Versions { get; init; }
    public VersionRange NullableVersions { get; init; } = VersionRange.None;
    public VersionRange TaggedVersions { get; init; } = VersionRange.None;
    public int? Tag { get; init; }
    public VersionRange? FlexibleVersions { get; init; }
    public bool Ignorable { get; init; }

    /// <summary>The spec's default, as text ("null", "-1", "0x7fffffff", "true", ...), or null when absent.</summary>
    public string? Default { get; init; }

    /// <summary>Inline struct fields, when the field declares its struct in place.</summary>
    public List<FieldSpec>? Fields { get; init; }

    public bool IsTagged => Tag is not null;
    public bool IsNullableSomewhere => !NullableVersions.Intersect(Versions).IsEmpty;
}

/// <summary>A spec type: a primitive, a struct name, or an array ("[]x") of either.</summary>
public sealed record FieldType(string Name, bool IsArray)
{
    private static readonly HashSet<string> Primitives = new(StringComparer.Ordinal)
    {
        "bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64", "string", "uuid", "bytes", "records",
    };

    public bool IsStruct => !Primitives.Contains(Name);
    public bool IsPrimitive => !IsStruct;

    public static FieldType Parse(string text) =>
        text.StartsWith("[]", StringComparison.Ordinal) ? new(text[2..], true) : new(text, false);

    public override string ToString() => IsArray ? "[]" + Name : Name;
}

public static class SpecReader
{
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static MessageSpec Read(string path, SpecFolder folder, string relativePath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), Options);
        var root = doc.RootElement;
        var valid = VersionRange.Parse(Str(root, "validVersions"), VersionRange.None);
        return new MessageSpec
        {
            Name = Str(root, "name") ?? throw new InvalidDataException($"{path}: no name"),
            Type = Str(root, "type") ?? "data",
            Folder = folder,
            SourcePath = relativePath,
            ApiKey = root.TryGetProperty("apiKey", out var k) ? (short)Int(k) : null,
            ValidVersions = valid,
            FlexibleVersions = VersionRange.Parse(Str(root, "flexibleVersions"), VersionRange.None),
            Fields = ReadFields(root, path),
            CommonStructs = root.TryGetProperty("commonStructs", out var cs)
                ? cs.EnumerateArray().Select(s => new StructDefinition
                {
                    Name = Str(s, "name")!,
                    Versions = VersionRange.Parse(Str(s, "versions"), VersionRange.All),
                    Fields = ReadFields(s, path),
                }).ToList()
                : new(),
            Listeners = root.TryGetProperty("listeners", out var l) ? l.EnumerateArray().Select(e => e.GetString()!).ToList() : new(),
            LatestVersionUnstable = root.TryGetProperty("latestVersionUnstable", out var u) && u.ValueKind == JsonValueKind.True,
        };
    }

    private static List<FieldSpec> ReadFields(JsonElement owner, string path)
    {
        if (!owner.TryGetProperty("fields", out var fields))
        {
            return new();
        }
        var list = new List<FieldSpec>();
        foreach (var f in fields.EnumerateArray())
        {
            var name = Str(f, "name") ?? throw new InvalidDataException($"{path}: field without name");
            var tagged = VersionRange.Parse(Str(f, "taggedVersions"), VersionRange.None);
            // A field that gives only taggedVersions exists exactly in those versions.
            var versions = VersionRange.Parse(Str(f, "versions"), tagged);
            if (versions.IsEmpty && tagged.IsEmpty)
            {
                throw new InvalidDataException($"{path}: field {name} has no versions");
            }
            list.Add(new FieldSpec
            {
                Name = name,
                Type = FieldType.Parse(Str(f, "type") ?? throw new InvalidDataException($"{path}: {name} has no type")),
                Versions = versions,
                NullableVersions = VersionRange.Parse(Str(f, "nullableVersions"), VersionRange.None),
                TaggedVersions = tagged,
                Tag = f.TryGetProperty("tag", out var t) ? Int(t) : null,
                FlexibleVersions = f.TryGetProperty("flexibleVersions", out var fv) ? VersionRange.Parse(fv.GetString(), VersionRange.None) : null,
                Ignorable = f.TryGetProperty("ignorable", out var ig) && ig.ValueKind == JsonValueKind.True,
                Default = f.TryGetProperty("default", out var d) ? DefaultText(d) : null,
                Fields = f.TryGetProperty("fields", out _) ? ReadFields(f, path) : null,
            });
        }
        return list;
    }

    /// <summary>Some specs quote their numbers ("tag": "0").</summary>
    private static int Int(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? int.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : e.GetInt32();

    private static string DefaultText(JsonElement d) => d.ValueKind switch
    {
        JsonValueKind.String => d.GetString()!,
        JsonValueKind.Null => "null",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => d.GetRawText(),
    };

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;
}
