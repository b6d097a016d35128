using Broker.Protocol.Generator.Spec;

namespace Broker.Protocol.Generator.Emit;

/// <summary>A class to emit: the message itself or one of its structs (all nested in the message class).</summary>
public sealed class StructModel
{
    public required string ClassName { get; init; }
    public required string SpecName { get; init; }
    public required VersionRange Range { get; init; }
    public required bool IsTop { get; init; }
    public List<FieldModel> Fields { get; } = new();
}

public sealed class FieldModel
{
    public required FieldSpec Spec { get; init; }
    public required string Property { get; init; }
    public required string CsType { get; init; }
    public required bool CsNullable { get; init; }

    /// <summary>Element type of an array, or the struct class of a struct field.</summary>
    public string? ElementType { get; init; }

    /// <summary>Versions (within the owner's range) where the field is a regular, positional field.</summary>
    public required VersionRange Present { get; init; }

    /// <summary>Versions (within the owner's range) where the field travels as a tagged field.</summary>
    public required VersionRange Tagged { get; init; }

    /// <summary>Versions that use compact encodings for this field (a field may opt out, like RequestHeader.ClientId).</summary>
    public required VersionRange Flexible { get; init; }

    public FieldType Type => Spec.Type;
    public VersionRange Nullable => Spec.NullableVersions;
}

/// <summary>Resolves class and property names for one spec, avoiding C# name clashes.</summary>
public sealed class MessageModel
{
    /// <summary>Members every generated class has.</summary>
    private static readonly HashSet<string> Methods = new(StringComparer.Ordinal) { "Read", "Write", "Size", "EqualsDefault" };

    /// <summary>Members only the top-level class has (besides <see cref="Methods"/>).</summary>
    private static readonly HashSet<string> ReservedMembers = new(StringComparer.Ordinal)
    {
        "Read", "Write", "Size", "EqualsDefault", "ApiKey", "RecordType", "LowestVersion", "HighestVersion", "IsFlexible",
    };

    private readonly MessageSpec _spec;
    private readonly Dictionary<string, string> _classNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StructDefinition> _common;

    public MessageSpec Spec => _spec;
    public StructModel Top { get; }
    public List<StructModel> Structs { get; } = new();

    public MessageModel(MessageSpec spec)
    {
        _spec = spec;
        _common = spec.CommonStructs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var topNames = new HashSet<string>(spec.Fields.Select(f => f.Name), StringComparer.Ordinal) { spec.Name };
        topNames.UnionWith(ReservedMembers);

        // Pass 1: find every struct definition (inline ones in spec order, then common ones) and name it.
        var definitions = new List<(StructDefinition Def, VersionRange Range)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        CollectStructs(spec.Fields, spec.ValidVersions, definitions, seen);
        foreach (var cs in spec.CommonStructs)
        {
            if (seen.Add(cs.Name))
            {
                definitions.Add((cs, spec.ValidVersions.Intersect(cs.Versions)));
                CollectStructs(cs.Fields, spec.ValidVersions.Intersect(cs.Versions), definitions, seen);
            }
        }
        foreach (var (def, _) in definitions)
        {
            var name = def.Name;
            if (topNames.Contains(name) || def.Fields.Any(f => f.Name == name))
            {
                name += "Data";
            }
            if (topNames.Contains(name) || _classNames.ContainsValue(name))
            {
                throw new InvalidDataException($"{spec.SourcePath}: cannot find a free class name for struct {def.Name}");
            }
            _classNames[def.Name] = name;
        }

        // Pass 2: build the field models.
        Top = Build(spec.Name, spec.Name, spec.Fields, spec.ValidVersions, isTop: true);
        foreach (var (def, range) in definitions)
        {
            Structs.Add(Build(_classNames[def.Name], def.Name, def.Fields, range, isTop: false));
        }
    }

    /// <summary>
    /// The fewest bytes one instance of struct <paramref name="className"/> can take in any version of
    /// <paramref name="within"/>: array counts are checked against it before a list is allocated.
    /// </summary>
    public int MinStructSize(string className, VersionRange within)
    {
        var s = Structs.Single(x => x.ClassName == className);
        var versions = within.Intersect(s.Range).Intersect(_spec.ValidVersions);
        var min = int.MaxValue;
        for (var v = versions.Low; v <= versions.High && !versions.IsEmpty; v++)
        {
            min = Math.Min(min, MinStructSizeAt(s, v, depth: 0));
        }
        return min == int.MaxValue ? 1 : Math.Max(1, min);
    }

    private int MinStructSizeAt(StructModel s, short v, int depth)
    {
        if (depth > 16)
        {
            throw new InvalidDataException($"{_spec.SourcePath}: structs nest too deeply at {s.ClassName}");
        }
        var size = _spec.FlexibleVersions.Contains(v) ? 1 : 0;
        foreach (var f in s.Fields.Where(f => f.Present.Contains(v)))
        {
            var flex = f.Flexible.Contains(v);
            size += f.Type.IsArray ? (flex ? 1 : 4)
                : f.Type.IsStruct ? (f.Nullable.Contains(v) ? 1 : MinStructSizeAt(Structs.Single(x => x.ClassName == f.ElementType), v, depth + 1))
                : f.Type.Name switch
                {
                    "bool" or "int8" => 1,
                    "int16" or "uint16" => 2,
                    "int32" or "uint32" => 4,
                    "int64" or "float64" => 8,
                    "uuid" => 16,
                    "string" => flex ? 1 : 2,
                    _ => flex ? 1 : 4, // bytes, records
                };
        }
        return size;
    }

    private void CollectStructs(List<FieldSpec> fields, VersionRange range, List<(StructDefinition, VersionRange)> into, HashSet<string> seen)
    {
        foreach (var f in fields)
        {
            if (!f.Type.IsStruct || f.Fields is null)
            {
                continue;
            }
            if (!seen.Add(f.Type.Name))
            {
                throw new InvalidDataException($"{_spec.SourcePath}: struct {f.Type.Name} defined twice");
            }
            var inner = range.Intersect(f.Versions);
            into.Add((new StructDefinition { Name = f.Type.Name, Versions = inner, Fields = f.Fields }, inner));
            CollectStructs(f.Fields, inner, into, seen);
        }
    }

    private StructModel Build(string className, string specName, List<FieldSpec> fields, VersionRange range, bool isTop)
    {
        var model = new StructModel { ClassName = className, SpecName = specName, Range = range, IsTop = isTop };
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in fields)
        {
            var prop = f.Name;
            if ((isTop ? ReservedMembers : Methods).Contains(prop) || prop == className)
            {
                prop += "Value";
            }
            if (!used.Add(prop))
            {
                throw new InvalidDataException($"{_spec.SourcePath}: duplicate field {prop} in {className}");
            }
            var within = range.Intersect(f.Versions);
            var tagged = f.IsTagged ? within.Intersect(f.TaggedVersions).Intersect(_spec.FlexibleVersions) : VersionRange.None;
            var present = f.IsTagged ? Subtract(within, f.TaggedVersions) : within;
            var nullable = !f.NullableVersions.Intersect(f.Versions).IsEmpty || f.Type.Name == "records";
            string? element = null;
            string cs;
            if (f.Type.IsArray)
            {
                element = f.Type.IsStruct ? ClassOf(f.Type.Name) : Primitive(f.Type.Name);
                cs = $"List<{element}>" + (nullable ? "?" : "");
            }
            else if (f.Type.IsStruct)
            {
                element = ClassOf(f.Type.Name);
                cs = element + (nullable ? "?" : "");
            }
            else
            {
                cs = f.Type.Name switch
                {
                    "string" => nullable ? "string?" : "string",
                    "bytes" => nullable ? "ReadOnlyMemory<byte>?" : "ReadOnlyMemory<byte>",
                    "records" => "ReadOnlyMemory<byte>?",
                    _ => Primitive(f.Type.Name),
                };
            }
            model.Fields.Add(new FieldModel
            {
                Spec = f,
                Property = prop,
                CsType = cs,
                CsNullable = nullable,
                ElementType = element,
                Present = present,
                Tagged = tagged,
                Flexible = f.FlexibleVersions ?? _spec.FlexibleVersions,
            });
        }
        return model;
    }

    private string ClassOf(string specStructName)
    {
        if (_classNames.TryGetValue(specStructName, out var n))
        {
            return n;
        }
        throw new InvalidDataException($"{_spec.SourcePath}: unknown struct type {specStructName}");
    }

    public static string Primitive(string type) => type switch
    {
        "bool" => "bool",
        "int8" => "sbyte",
        "int16" => "short",
        "uint16" => "ushort",
        "int32" => "int",
        "uint32" => "uint",
        "int64" => "long",
        "float64" => "double",
        "uuid" => "Guid",
        "string" => "string",
        "bytes" => "ReadOnlyMemory<byte>",
        _ => throw new InvalidDataException($"unsupported primitive type {type}"),
    };

    /// <summary>Versions of <paramref name="a"/> not in <paramref name="b"/>, when that is one range.</summary>
    private VersionRange Subtract(VersionRange a, VersionRange b)
    {
        if (b.IsEmpty || a.Intersect(b).IsEmpty)
        {
            return a;
        }
        if (b.Covers(a))
        {
            return VersionRange.None;
        }
        if (b.High >= a.High && b.Low > a.Low)
        {
            return new VersionRange(a.Low, (short)(b.Low - 1));
        }
        if (b.Low <= a.Low && b.High < a.High)
        {
            return new VersionRange((short)(b.High + 1), a.High);
        }
        throw new InvalidDataException($"{_spec.SourcePath}: tagged versions {b} split versions {a} in two");
    }
}
