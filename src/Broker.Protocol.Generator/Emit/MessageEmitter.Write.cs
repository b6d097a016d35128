using Broker.Protocol.Generator.Spec;

namespace Broker.Protocol.Generator.Emit;

public sealed partial class MessageEmitter
{
    // Fields a version does not have are skipped on write (as Kafka does for ignorable fields):
    // the broker fills a response once and writes it in whatever version the client asked for.
    // A null in a version where the field is not nullable cannot be encoded and throws.

    private void EmitWrite(StructModel s)
    {
        _w.Open("public void Write(ref KafkaWriter writer, short version)");
        foreach (var f in s.Fields)
        {
            _w.If(f.Present.Condition(s.Range), () => EmitWriteValue(f, f.Present, tagged: false));
        }
        var flexible = Spec.FlexibleVersions.Intersect(s.Range);
        _w.If(Spec.FlexibleVersions.Condition(s.Range), () =>
        {
            var tagged = s.Fields.Where(f => !f.Tagged.IsEmpty).OrderBy(f => f.Spec.Tag).ToList();
            if (tagged.Count == 0)
            {
                _w.Line("writer.WriteEmptyTaggedFields();");
                return;
            }
            _w.Line("var taggedCount = 0;");
            foreach (var f in tagged)
            {
                _w.If(TagPresent(f, flexible), () => _w.Line("taggedCount++;"));
            }
            _w.Line("writer.WriteUnsignedVarInt((uint)taggedCount);");
            foreach (var f in tagged)
            {
                _w.If(TagPresent(f, flexible), () =>
                {
                    _w.Line($"writer.WriteUnsignedVarInt({f.Spec.Tag});");
                    _w.Line($"writer.WriteUnsignedVarInt((uint)TaggedSizeOf{f.Property}(version));");
                    EmitWriteValue(f, f.Tagged, tagged: true);
                });
            }
        });
        _w.Close();
    }

    /// <summary>Condition under which a tagged field is sent: its version allows it and it differs from its default.</summary>
    private static string TagPresent(FieldModel f, VersionRange flexible)
    {
        var cond = f.Tagged.Condition(flexible);
        var notDefault = $"!({IsDefaultExpr(f)})";
        return cond == "true" ? notDefault : $"{cond} && {notDefault}";
    }

    private static string NotNull(FieldModel f, string expr) =>
        f.CsNullable ? $"({expr} ?? throw MessageErrors.NullField(\"{f.Property}\", version))" : expr;

    private void EmitWriteValue(FieldModel f, VersionRange within, bool tagged)
    {
        Branch(f, within, (flex, nullable) =>
        {
            var p = f.Property;
            if (f.Type.IsArray)
            {
                string Count(string n) => Pick(flex, $"writer.WriteCompactArrayCount({n})", $"writer.WriteArrayCount({n})", $"writer.WriteArrayCount({n}, {flex})");
                if (f.CsNullable)
                {
                    _w.Open($"if ({p} is null)");
                    _w.Line(nullable ? $"{Count("-1")};" : $"throw MessageErrors.NullField(\"{p}\", version);");
                    _w.Close();
                    _w.Open("else");
                }
                else
                {
                    _w.Open("");
                }
                _w.Line($"{Count(p + ".Count")};");
                _w.Open($"foreach (var item in {p})");
                _w.Line(f.Type.IsStruct ? "item.Write(ref writer, version);" : WriteScalar(f.Type.Name, flex, false, "item") + ";");
                _w.Close();
                _w.Close();
            }
            else if (f.Type.IsStruct)
            {
                if (nullable)
                {
                    _w.Open($"if ({p} is null)");
                    _w.Line(tagged ? "writer.WriteUnsignedVarInt(0);" : "writer.WriteInt8(-1);");
                    _w.Close();
                    _w.Open("else");
                    _w.Line(tagged ? "writer.WriteUnsignedVarInt(1);" : "writer.WriteInt8(1);");
                    _w.Line($"{p}.Write(ref writer, version);");
                    _w.Close();
                }
                else
                {
                    _w.Line($"{NotNull(f, p)}.Write(ref writer, version);");
                }
            }
            else
            {
                var value = nullable ? p : NotNull(f, p);
                _w.Line(WriteScalar(f.Type.Name, flex, nullable, value) + ";");
            }
        });
    }

    private static string WriteScalar(string type, string flex, bool nullable, string v) => type switch
    {
        "bool" => $"writer.WriteBool({v})",
        "int8" => $"writer.WriteInt8({v})",
        "int16" => $"writer.WriteInt16({v})",
        "uint16" => $"writer.WriteUInt16({v})",
        "int32" => $"writer.WriteInt32({v})",
        "uint32" => $"writer.WriteUInt32({v})",
        "int64" => $"writer.WriteInt64({v})",
        "float64" => $"writer.WriteFloat64({v})",
        "uuid" => $"writer.WriteUuid({v})",
        "string" => nullable
            ? Pick(flex, $"writer.WriteCompactNullableString({v})", $"writer.WriteNullableString({v})", $"writer.WriteNullableString({v}, {flex})")
            : Pick(flex, $"writer.WriteCompactString({v})", $"writer.WriteString({v})", $"writer.WriteString({v}, {flex})"),
        "bytes" or "records" => nullable
            ? Pick(flex, $"writer.WriteCompactNullableBytes({v})", $"writer.WriteNullableBytes({v})", $"writer.WriteNullableBytes({v}, {flex})")
            : Pick(flex, $"writer.WriteCompactBytes({v}.Span)", $"writer.WriteBytes({v}.Span)", $"writer.WriteBytes({v}.Span, {flex})"),
        _ => throw new InvalidDataException($"no writer for {type}"),
    };
}
