using System.Globalization;

namespace Broker.Benchmarks.Groups;

/// <summary>The Markdown table the run prints: one row per measured step, with the broker's CPU and memory during it.</summary>
internal sealed class GroupBenchReport(string label)
{
    private readonly List<string> _rows = [];
    private readonly List<string> _notes = [];

    public void Row(string step, int count, Latencies? latencies, double wallSeconds, double? ratePerSecond,
        ProcessSampler.Usage? broker, ProcessSampler.Usage client)
    {
        static string F(double v, string format = "F1") => double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture);
        var row = string.Join(" | ",
            label,
            step,
            count.ToString(CultureInfo.InvariantCulture),
            latencies is null ? "-" : F(latencies.Percentile(50), "F2"),
            latencies is null ? "-" : F(latencies.Percentile(99), "F2"),
            latencies is null ? "-" : F(latencies.Max, "F2"),
            F(wallSeconds, "F2"),
            ratePerSecond is { } r ? F(r, "F0") : "-",
            broker is { } b ? F(b.CpuPercent, "F0") : "-",
            broker is { } m ? $"{F(m.StartRssMb, "F0")} → {F(m.PeakRssMb, "F0")}" : "-",
            // CPU time per operation holds up on a shared machine, where wall-clock rates mostly measure the share the server got.
            broker is { } u && count > 1 ? F(u.CpuPercent / 100 * wallSeconds / count * 1e6, "F0") : "-",
            F(client.CpuPercent, "F0"));
        _rows.Add($"| {row} |");
        Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {row}");
    }

    public void Note(string note)
    {
        _notes.Add(note);
        Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {label}: {note}");
    }

    public void Print()
    {
        foreach (var row in _rows)
        {
            Console.WriteLine(row);
        }
        foreach (var note in _notes)
        {
            Console.WriteLine($"- {label}: {note}");
        }
    }
}
