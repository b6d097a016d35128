using Broker.Protocol.Generator.Spec;

namespace Broker.Protocol.Generator.Emit;

public sealed partial class MessageEmitter
{
    // Size mirrors Write exactly: writers pre-size their buffer from it.

    private void EmitSize(StructModel s)
    {
        _w.Open("public int Size(short version)");
        _w.Line("var size = 0;");
        foreach (var f in s.Fields)
        {
            _w.If(f.Present.Condition(s.Range), () => EmitSizeValue(f, f.Present, tagged: false));
        }
        var flexible = Spec.FlexibleVersions.Intersect(s.Range);
        _w.If(Spec.FlexibleVersions.Condition(s.Range), () =>
        {
            var tagged = s.Fields.Where(f => !f.Tagged.IsEmpty).OrderBy(f => f.Spec.Tag).ToList();
            if (tagged.Count == 0)
            {
                _w.Line("size += 1;");
                return;
            }
            _w.Line("var taggedCount = 0;");
            foreach (var f in tagged)
            {
                _w.Open($"if ({TagPresent(f, flexible)})");
                _w.Line("taggedCount++;");
                _w.Line($"var valueSize = TaggedSizeOf{f.Property}(version);");
                _w.Line($"size += KafkaEncoding.SizeOfUnsignedVarInt({f.Spec.Tag}) + KafkaEncoding.SizeOfUnsignedVarInt((uint)valueSize) + valueSize;");
                _w.Close();
            }
            _w.Line("size += KafkaEncoding.SizeOfUnsignedVarInt((uint)taggedCount);");
        });
        _w.Line("return size;");
        _w.Close();
    }

    private void EmitTaggedSize(StructModel s, FieldModel f)
    {
        _w.Open($"private int TaggedSizeOf{f.Property}(short version)");
        _w.Line("var size = 0;");
        EmitSizeValue(f, f.Tagged, tagged: true);
        _w.Line("return size;");
        _w.Close();
    }

    private void EmitSizeValue(FieldModel f, VersionRange within, bool tagged)
    {
        Branch(f, within, (flex, nullable) =>
        {
            var p = f.Property;
            if (f.Type.IsArray)
            {
                if (f.CsNullable)
                {
                    _w.Open($"if ({p} is null)");
                    _w.Line(nullable ? $"size += {Pick(flex, "1", "4", $"({flex} ? 1 : 4)")};" : $"throw MessageErrors.NullField(\"{p}\", version);");
                    _w.Close();
                    _w.Open("else");
                }
                else
                {
                    _w.Open("");
                }
                var count = Pick(flex, $"KafkaEncoding.SizeOfCompactArrayCount({p}.Count)", "4", $"KafkaEncoding.SizeOfArrayCount({p}.Count, {flex})");
                var fixedSize = FixedSize(f.Type.Name);
                if (fixedSize > 0)
                {
                    _w.Line($"size += {count} + {p}.Count * {fixedSize};");
                }
                else
                {
                    _w.Line($"size += {count};");
                    _w.Open($"foreach (var item in {p})");
                    _w.Line(f.Type.IsStruct ? "size += item.Size(version);" : $"size += {SizeScalar(f.Type.Name, flex, false, "item")};");
                    _w.Close();
                }
                _w.Close();
            }
            else if (f.Type.IsStruct)
            {
                _w.Line(nullable
                    ? $"size += {p} is null ? 1 : 1 + {p}.Size(version);"
                    : $"size += {NotNull(f, p)}.Size(version);");
            }
            else
            {
                var value = nullable ? p : NotNull(f, p);
                _w.Line($"size += {SizeScalar(f.Type.Name, flex, nullable, value)};");
            }
        });
    }

    private static int FixedSize(string type) => type switch
    {
        "bool" or "int8" => 1,
        "int16" or "uint16" => 2,
        "int32" or "uint32" => 4,
        "int64" or "float64" => 8,
        "uuid" => 16,
        _ => 0,
    };

    private static string SizeScalar(string type, string flex, bool nullable, string v)
    {
        var fixedSize = FixedSize(type);
        if (fixedSize > 0)
        {
            return fixedSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return type switch
        {
            "string" => nullable
                ? Pick(flex, $"KafkaEncoding.SizeOfCompactNullableString({v})", $"KafkaEncoding.SizeOfNullableString({v})", $"KafkaEncoding.SizeOfNullableString({v}, {flex})")
                : Pick(flex, $"KafkaEncoding.SizeOfCompactString({v})", $"KafkaEncoding.SizeOfString({v})", $"KafkaEncoding.SizeOfString({v}, {flex})"),
            "bytes" or "records" => nullable
                ? Pick(flex, $"KafkaEncoding.SizeOfCompactNullableBytes({v})", $"KafkaEncoding.SizeOfNullableBytes({v})", $"KafkaEncoding.SizeOfNullableBytes({v}, {flex})")
                : Pick(flex, $"KafkaEncoding.SizeOfCompactBytes({v}.Length)", $"KafkaEncoding.SizeOfBytes({v}.Length)", $"KafkaEncoding.SizeOfBytes({v}.Length, {flex})"),
            _ => throw new InvalidDataException($"no size for {type}"),
        };
    }
}
