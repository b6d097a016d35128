using System.Collections;
using Broker.Protocol.Messages;

namespace Broker.Protocol.Tests.Messages;

/// <summary>Compares two messages field by field over the fields one version carries; returns the first difference.</summary>
internal static class MessageComparer
{
    public static string? Difference(object expected, object actual, short version, string path = "")
    {
        foreach (var (prop, field) in RandomMessages.Fields(expected.GetType()))
        {
            if (!SpecVersions.Contains(field.Versions, version))
            {
                continue;
            }
            var diff = ValueDifference(prop.GetValue(expected), prop.GetValue(actual), version, $"{path}.{prop.Name}");
            if (diff is not null)
            {
                return diff;
            }
        }
        return null;
    }

    private static string? ValueDifference(object? e, object? a, short version, string path)
    {
        if (e is null || a is null)
        {
            return e is null && a is null ? null : $"{path}: expected {e ?? "null"}, got {a ?? "null"}";
        }
        switch (e)
        {
            case ReadOnlyMemory<byte> em:
                return em.Span.SequenceEqual(((ReadOnlyMemory<byte>)a).Span) ? null : $"{path}: bytes differ";
            case double ed:
                return BitConverter.DoubleToInt64Bits(ed) == BitConverter.DoubleToInt64Bits((double)a) ? null : $"{path}: {ed} != {a}";
            case IKafkaMessage:
                return Difference(e, a, version, path);
            case IList el:
                var al = (IList)a;
                if (el.Count != al.Count)
                {
                    return $"{path}: expected {el.Count} elements, got {al.Count}";
                }
                for (var i = 0; i < el.Count; i++)
                {
                    var d = ValueDifference(el[i], al[i], version, $"{path}[{i}]");
                    if (d is not null)
                    {
                        return d;
                    }
                }
                return null;
            default:
                return Equals(e, a) ? null : $"{path}: expected {e}, got {a}";
        }
    }
}
