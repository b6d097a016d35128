using System.Diagnostics;
using System.Text.Json;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// tests/compat/python/cluster_producer.py running in the background: an idempotent acks=all
/// confluent-kafka producer streaming numbered records into a cluster. Its acknowledgements land in a
/// file as they arrive, so a test can wait for progress; <see cref="StopAsync"/> flushes and returns
/// its summary; dispose kills it if it is still running.
/// </summary>
public sealed class StreamingProducer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private StreamingProducer(Process process, string ackedFile, string stopFile)
    {
        _process = process;
        AckedFile = ackedFile;
        StopFile = stopFile;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public string AckedFile { get; }

    /// <summary>librdkafka's log (stderr) once the producer has stopped.</summary>
    public string Stderr { get; private set; } = "";

    /// <summary>The last <paramref name="lines"/> lines of librdkafka's log, for failure messages.</summary>
    public string StderrTail(int lines = 200) =>
        string.Join('\n', Stderr.Split('\n').Where(l => !l.Contains("|FEATURE|", StringComparison.Ordinal)).TakeLast(lines));
    public string StopFile { get; }

    public static StreamingProducer Start(LocalCluster cluster, string topic, int partitions, int ratePerSecond = 400)
    {
        var acked = Path.Combine(cluster.DataDir, $"{topic}.acked");
        var stop = Path.Combine(cluster.DataDir, $"{topic}.stop");
        var info = new ProcessStartInfo(RepoPaths.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        foreach (var a in new[]
        {
            Path.Combine(RepoPaths.PythonDir, "cluster_producer.py"), cluster.BootstrapServers, topic,
            partitions.ToString(System.Globalization.CultureInfo.InvariantCulture), acked, stop,
            ratePerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(a);
        }
        File.WriteAllText(acked, "");
        return new StreamingProducer(Process.Start(info) ?? throw new InvalidOperationException("cannot start the producer"), acked, stop);
    }

    /// <summary>Acknowledged records so far.</summary>
    public int Acked
    {
        get
        {
            using var stream = new FileStream(AckedFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var count = 0;
            int b;
            while ((b = stream.ReadByte()) >= 0)
            {
                count += b == '\n' ? 1 : 0;
            }
            return count;
        }
    }

    /// <summary>Waits until <paramref name="more"/> records beyond those acknowledged now are acknowledged.</summary>
    public async Task WaitForMoreAcksAsync(int more, TimeSpan timeout, Func<string> context)
    {
        var target = Acked + more;
        var watch = Stopwatch.StartNew();
        while (Acked < target)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the producer exited: {await _stderr}\n{context()}");
            }
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"acknowledgements stalled at {Acked} (wanted {target}) for {timeout.TotalSeconds:0} s\n{context()}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Stops producing, lets the producer flush, and returns its summary line.</summary>
    public async Task<JsonElement> StopAsync()
    {
        await File.WriteAllTextAsync(StopFile, "stop");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await _process.WaitForExitAsync(cts.Token);
        var stdout = await _stdout;
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the producer failed ({_process.ExitCode}): {stdout}\n{await _stderr}");
        }
        Stderr = await _stderr;
        await File.WriteAllTextAsync(Path.ChangeExtension(AckedFile, ".producer.log"), Stderr);
        using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        return doc.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
