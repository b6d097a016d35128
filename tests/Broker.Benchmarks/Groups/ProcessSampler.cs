using System.Diagnostics;
using System.Globalization;

namespace Broker.Benchmarks.Groups;

/// <summary>
/// CPU and resident memory of a process (the broker, or this driver) from /proc, sampled every
/// 100 ms so a phase reports its peak RSS, not just the RSS at its end. CPU is user+system time over
/// wall time: 100 % is one core busy.
/// </summary>
internal sealed class ProcessSampler : IDisposable
{
    // Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel.
    private const double TicksPerSecond = 100.0;
    private readonly int _pid;
    private readonly Timer _timer;
    private long _peakRssKb;

    public ProcessSampler(int pid)
    {
        _pid = pid;
        _timer = new Timer(_ => Sample(), null, 0, 100);
    }

    public bool Available => _pid > 0 && File.Exists($"/proc/{_pid}/stat");

    /// <summary>Starts a phase: the peak is reset to the current RSS.</summary>
    public Mark Start()
    {
        var rss = RssKb();
        Interlocked.Exchange(ref _peakRssKb, rss);
        return new Mark(CpuTicks(), Stopwatch.GetTimestamp(), rss);
    }

    public Usage Since(Mark mark)
    {
        Sample();
        var wall = Stopwatch.GetElapsedTime(mark.Timestamp).TotalSeconds;
        var cpu = (CpuTicks() - mark.CpuTicks) / TicksPerSecond;
        return new Usage(wall > 0 ? cpu / wall * 100 : 0, Interlocked.Read(ref _peakRssKb) / 1024.0, RssKb() / 1024.0, mark.RssKb / 1024.0);
    }

    public double RssMb() => RssKb() / 1024.0;

    private void Sample()
    {
        var rss = RssKb();
        long peak;
        while (rss > (peak = Interlocked.Read(ref _peakRssKb)) && Interlocked.CompareExchange(ref _peakRssKb, rss, peak) != peak)
        {
        }
    }

    private long CpuTicks()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{_pid}/stat");
            // Fields after the command name (which may hold spaces) start at the state, field 3; utime is 14, stime 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private long RssKb()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // the process is gone
        }
        return 0;
    }

    public void Dispose() => _timer.Dispose();

    public readonly record struct Mark(long CpuTicks, long Timestamp, long RssKb);

    public readonly record struct Usage(double CpuPercent, double PeakRssMb, double EndRssMb, double StartRssMb);
}
