using Broker.Protocol.Generator.Spec;

namespace Broker.Protocol.Generator.Emit;

public sealed partial class MessageEmitter
{
    private void EmitRead(StructModel s)
    {
        _w.Open("public void Read(ref KafkaReader reader, short version)");
        foreach (var f in s.Fields)
        {
            _w.If(f.Present.Condition(s.Range), () => EmitReadValue(f, f.Present, tagged: false));
        }
        var flexible = Spec.FlexibleVersions.Intersect(s.Range);
        _w.If(Spec.FlexibleVersions.Condition(s.Range), () =>
        {
            var tagged = s.Fields.Where(f => !f.Tagged.IsEmpty).OrderBy(f => f.Spec.Tag).ToList();
            if (tagged.Count == 0)
            {
                _w.Line("reader.SkipTaggedFields();");
                return;
            }
            _w.Line("var tagCount = reader.ReadUnsignedVarInt();");
            _w.Open("for (uint t = 0; t < tagCount; t++)");
            _w.Line("var tag = reader.ReadUnsignedVarInt();");
            _w.Line("var tagSize = reader.ReadTaggedFieldSize();");
            _w.Line("var start = reader.Position;");
            _w.Open("switch (tag)");
            foreach (var f in tagged)
            {
                var cond = f.Tagged.Condition(flexible);
                _w.Line(cond == "true" ? $"case {f.Spec.Tag}:" : $"case {f.Spec.Tag} when {cond}:");
                _w.Open("");
                EmitReadValue(f, f.Tagged, tagged: true);
                _w.Line("break;");
                _w.Close();
            }
            _w.Line("default:");
            _w.Open("");
            _w.Line("reader.Skip(tagSize);");
            _w.Line("break;");
            _w.Close();
            _w.Close();
            _w.Line("reader.ExpectTaggedFieldEnd(start, tagSize);");
            _w.Close();
        });
        _w.Close();
    }

    /// <summary>Reads one field; nullability that varies by version becomes an if, compactness a bool argument.</summary>
    private void EmitReadValue(FieldModel f, VersionRange within, bool tagged)
    {
        Branch(f, within, (flex, nullable) =>
        {
            var p = f.Property;
            if (f.Type.IsArray)
            {
                _w.Open("");
                var minCompact = f.Type.IsStruct ? _model.MinStructSize(f.ElementType!, within) : MinElementSize(f.Type.Name, true);
                var minClassic = f.Type.IsStruct ? minCompact : MinElementSize(f.Type.Name, false);
                var count = Pick(flex,
                    $"reader.ReadCompactArrayCount({minCompact})",
                    $"reader.ReadArrayCount({minClassic})",
                    $"reader.ReadArrayCount({flex}, {minCompact})");
                _w.Line($"var count = {count};");
                if (nullable)
                {
                    _w.Open("if (count < 0)");
                    _w.Line($"{p} = null;");
                    _w.Close();
                    _w.Open("else");
                }
                else
                {
                    _w.Open("if (count < 0)");
                    _w.Line($"throw new ProtocolException(\"{p}: null array where the version does not allow null\");");
                    _w.Close();
                }
                _w.Line($"var list = new List<{f.ElementType}>(count);");
                _w.Open("for (var i = 0; i < count; i++)");
                if (f.Type.IsStruct)
                {
                    _w.Line($"var item = new {f.ElementType}();");
                    _w.Line("item.Read(ref reader, version);");
                    _w.Line("list.Add(item);");
                }
                else
                {
                    _w.Line($"list.Add({ReadScalar(f.Type.Name, flex, false)});");
                }
                _w.Close();
                _w.Line($"{p} = list;");
                if (nullable)
                {
                    _w.Close();
                }
                _w.Close();
            }
            else if (f.Type.IsStruct)
            {
                if (nullable)
                {
                    // A nullable struct is preceded by a marker: int8 -1/1, or as a tagged field uvarint 0/1 (as Kafka does).
                    _w.Open(tagged ? "if (reader.ReadUnsignedVarInt() == 0)" : "if (reader.ReadInt8() < 0)");
                    _w.Line($"{p} = null;");
                    _w.Close();
                    _w.Open("else");
                }
                else
                {
                    _w.Open("");
                }
                _w.Line($"var item = new {f.ElementType}();");
                _w.Line("item.Read(ref reader, version);");
                _w.Line($"{p} = item;");
                _w.Close();
            }
            else
            {
                _w.Line($"{p} = {ReadScalar(f.Type.Name, flex, nullable)};");
            }
        });
    }

    /// <summary>
    /// Calls <paramref name="body"/> with the field's compactness condition (a C# expression, or
    /// "true"/"false") once per nullability the field can have within <paramref name="within"/>,
    /// wrapped in the version check that selects it.
    /// </summary>
    private void Branch(FieldModel f, VersionRange within, Action<string, bool> body)
    {
        var variable = f.Type.IsArray || f.Type.Name is "string" or "bytes" or "records";
        var nullable = f.Type.IsArray || f.Type.IsStruct || f.Type.Name is "string" or "bytes" or "records";
        var nullCond = nullable ? f.Nullable.Condition(within) : "false";
        _w.IfElse(nullCond,
            () => body(variable ? f.Flexible.Condition(within.Intersect(f.Nullable)) : "false", true),
            () => body(variable ? f.Flexible.Condition(Without(within, f.Nullable)) : "false", false));
    }

    /// <summary>The call for compact encoding, classic encoding, or the overload taking the condition.</summary>
    private static string Pick(string flex, string compact, string classic, string either) =>
        flex == "true" ? compact : flex == "false" ? classic : either;

    /// <summary>The versions of <paramref name="a"/> outside <paramref name="b"/> when that is one range; otherwise <paramref name="a"/> (still a correct bound).</summary>
    private static VersionRange Without(VersionRange a, VersionRange b)
    {
        if (b.IsEmpty || a.Intersect(b).IsEmpty)
        {
            return a;
        }
        if (b.Low > a.Low && b.High >= a.High)
        {
            return new VersionRange(a.Low, (short)(b.Low - 1));
        }
        if (b.Low <= a.Low && b.High < a.High)
        {
            return new VersionRange((short)(b.High + 1), a.High);
        }
        return b.Covers(a) ? VersionRange.None : a;
    }

    private static string ReadScalar(string type, string flex, bool nullable) => type switch
    {
        "bool" => "reader.ReadBool()",
        "int8" => "reader.ReadInt8()",
        "int16" => "reader.ReadInt16()",
        "uint16" => "reader.ReadUInt16()",
        "int32" => "reader.ReadInt32()",
        "uint32" => "reader.ReadUInt32()",
        "int64" => "reader.ReadInt64()",
        "float64" => "reader.ReadFloat64()",
        "uuid" => "reader.ReadUuid()",
        "string" => nullable
            ? Pick(flex, "reader.ReadCompactNullableString()", "reader.ReadNullableString()", $"reader.ReadNullableString({flex})")
            : Pick(flex, "reader.ReadCompactString()", "reader.ReadString()", $"reader.ReadString({flex})"),
        "bytes" or "records" => nullable
            ? Pick(flex, "reader.ReadCompactNullableBytes()", "reader.ReadNullableBytes()", $"reader.ReadNullableBytes({flex})")
            : Pick(flex, "reader.ReadCompactBytes()", "reader.ReadBytes()", $"reader.ReadBytes({flex})"),
        _ => throw new InvalidDataException($"no reader for {type}"),
    };

    /// <summary>The fewest bytes one array element can take, so a lying count is caught before allocating.</summary>
    private static int MinElementSize(string type, bool flex) => type switch
    {
        "int8" or "bool" => 1,
        "int16" or "uint16" => 2,
        "int32" or "uint32" => 4,
        "int64" or "float64" => 8,
        "uuid" => 16,
        "string" or "bytes" => flex ? 1 : 2,
        _ => 1,
    };
}
