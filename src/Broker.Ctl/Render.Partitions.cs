using System.Text.Json;

namespace Broker.Ctl;

/// <summary>Tables of the partition routes: moves in progress and election outcomes.</summary>
internal static partial class Render
{
    public static void Reassignments(JsonElement body, TextWriter w)
    {
        var rows = new List<string[]> { new[] { "TOPIC", "PARTITION", "REPLICAS", "ADDING", "REMOVING" } };
        foreach (var r in body.GetProperty("reassignments").EnumerateArray())
        {
            rows.Add([Str(r, "topic"), Num(r, "partition"), Ids(r.GetProperty("replicas")),
                Dash(Ids(r.GetProperty("addingReplicas"))), Dash(Ids(r.GetProperty("removingReplicas")))]);
        }
        if (rows.Count == 1)
        {
            w.WriteLine("no reassignments in progress");
            return;
        }
        Table(rows, w);
    }

    public static void Elections(JsonElement body, TextWriter w)
    {
        var rows = new List<string[]> { new[] { "TOPIC", "PARTITION", "RESULT" } };
        foreach (var r in body.GetProperty("results").EnumerateArray())
        {
            rows.Add([Str(r, "topic"), Num(r, "partition"), Str(r, "error") is "-" ? "elected" : Str(r, "error")]);
        }
        if (rows.Count > 1)
        {
            Table(rows, w);
        }
        w.WriteLine(Num(body, "elected") is "0" ? "no partition needed a new leader" : $"{Num(body, "elected")} partition(s) got their preferred leader");
    }

    private static string Dash(string cell) => cell.Length == 0 ? "-" : cell;
}
