using System.Globalization;
using System.Text.Json;

namespace Broker.Ctl;

/// <summary>Plain-text tables of the management JSON (column widths fit the widest cell).</summary>
internal static partial class Render
{
    public static void Members(JsonElement body, TextWriter w)
    {
        w.WriteLine($"cluster {Str(body, "clusterId")}  controller leader {Num(body, "controllerId")}  epoch {Num(body, "controllerEpoch")}  metadata offset {Num(body, "metadataOffset")}");
        var rows = new List<string[]> { new[] { "NODE", "HOST", "PORT", "RACK", "ROLES", "STATUS", "" } };
        foreach (var m in body.GetProperty("members").EnumerateArray())
        {
            rows.Add([
                Num(m, "nodeId"), Str(m, "host"), Num(m, "port"), Str(m, "rack"),
                string.Join(',', m.GetProperty("roles").EnumerateArray().Select(r => r.GetString())),
                Str(m, "status"), m.GetProperty("self").GetBoolean() ? "(self)" : "",
            ]);
        }
        Table(rows, w);
    }

    public static void RegionStats(JsonElement body, TextWriter w)
    {
        var rows = new List<string[]> { new[] { "NODE", "REPLICAS", "LEADERS" } };
        foreach (var n in body.GetProperty("nodes").EnumerateArray())
        {
            rows.Add([Num(n, "nodeId"), Num(n, "replicas"), Num(n, "leaders")]);
        }
        Table(rows, w);
    }

    public static void Topics(JsonElement body, TextWriter w)
    {
        var rows = new List<string[]> { new[] { "TOPIC", "PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "LOG-START", "LOG-END", "HW" } };
        foreach (var t in body.GetProperty("topics").EnumerateArray())
        {
            foreach (var p in t.GetProperty("partitions").EnumerateArray())
            {
                rows.Add([
                    Str(t, "name"), Num(p, "partition"), Num(p, "leader"), Num(p, "leaderEpoch"),
                    Ids(p.GetProperty("replicas")), Ids(p.GetProperty("isr")),
                    Num(p, "logStartOffset"), Num(p, "logEndOffset"), Num(p, "highWatermark"),
                ]);
            }
        }
        Table(rows, w);
    }

    public static void Groups(JsonElement body, TextWriter w)
    {
        var rows = new List<string[]> { new[] { "GROUP", "PROTOCOL-TYPE", "STATE", "COORDINATOR" } };
        foreach (var g in body.GetProperty("groups").EnumerateArray())
        {
            rows.Add([Str(g, "groupId"), Str(g, "protocolType"), Str(g, "state"), Num(g, "coordinatorId")]);
        }
        Table(rows, w);
        Errors(body, w);
    }

    public static void Group(JsonElement body, TextWriter w)
    {
        w.WriteLine($"group {Str(body, "groupId")}  state {Str(body, "state")}  protocol {Str(body, "protocolType")}/{Str(body, "protocol")}  coordinator {Num(body, "coordinatorId")}  total lag {Num(body, "totalLag")}");
        w.WriteLine();
        var members = new List<string[]> { new[] { "MEMBER", "INSTANCE", "CLIENT", "HOST", "ASSIGNMENT" } };
        foreach (var m in body.GetProperty("members").EnumerateArray())
        {
            var assignment = string.Join(' ', m.GetProperty("assignment").EnumerateArray()
                .Select(a => $"{a.GetProperty("topic").GetString()}:{Ids(a.GetProperty("partitions"))}"));
            members.Add([Str(m, "memberId"), Str(m, "groupInstanceId"), Str(m, "clientId"), Str(m, "clientHost"), assignment.Length > 0 ? assignment : "-"]);
        }
        Table(members, w);
        w.WriteLine();
        var partitions = new List<string[]> { new[] { "TOPIC", "PARTITION", "COMMITTED", "LOG-END", "LAG", "MEMBER" } };
        foreach (var p in body.GetProperty("partitions").EnumerateArray())
        {
            partitions.Add([Str(p, "topic"), Num(p, "partition"), Num(p, "committedOffset"), Num(p, "logEndOffset"), Num(p, "lag"), Str(p, "memberId")]);
        }
        Table(partitions, w);
        Errors(body, w);
    }

    private static void Errors(JsonElement body, TextWriter w)
    {
        if (body.TryGetProperty("errors", out var errors))
        {
            foreach (var e in errors.EnumerateArray())
            {
                w.WriteLine($"warning: {e.GetString()}");
            }
        }
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : "-";

    private static string Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64().ToString(CultureInfo.InvariantCulture) : "-";

    private static string Ids(JsonElement array) =>
        string.Join(',', array.EnumerateArray().Select(i => i.GetInt32().ToString(CultureInfo.InvariantCulture)));

    private static void Table(List<string[]> rows, TextWriter w)
    {
        var widths = new int[rows[0].Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }
        foreach (var row in rows)
        {
            w.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
