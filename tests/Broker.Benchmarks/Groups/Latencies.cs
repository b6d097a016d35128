using System.Diagnostics;

namespace Broker.Benchmarks.Groups;

/// <summary>Latency samples in milliseconds from many tasks at once; percentiles by sorting once at the end.</summary>
internal sealed class Latencies
{
    private readonly object _lock = new();
    private readonly List<double> _ms = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ms.Count;
            }
        }
    }

    public void Add(double ms)
    {
        lock (_lock)
        {
            _ms.Add(ms);
        }
    }

    /// <summary>Adds the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void AddSince(long startTimestamp) => Add(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);

    /// <summary>Nearest-rank percentile (p in 0..100); NaN without samples.</summary>
    public double Percentile(double p)
    {
        lock (_lock)
        {
            if (_ms.Count == 0)
            {
                return double.NaN;
            }
            _ms.Sort();
            var rank = (int)Math.Ceiling(p / 100.0 * _ms.Count);
            return _ms[Math.Clamp(rank - 1, 0, _ms.Count - 1)];
        }
    }

    public double Max => Percentile(100);
}
