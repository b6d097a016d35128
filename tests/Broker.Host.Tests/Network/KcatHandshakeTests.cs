using System.Collections.Concurrent;
using System.Diagnostics;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Tests.Network;

/// <summary>A real client (librdkafka through kcat) against the listener: the handshake works.</summary>
public sealed class KcatHandshakeTests
{
    [Fact]
    public async Task Kcat_completes_the_ApiVersions_handshake_and_asks_for_metadata()
    {
        var metadata = new MetadataRecorder();
        await using var server = await BrokerServer.StartAsync(new NetworkSettings { Host = "127.0.0.1", Port = 0 }, metadata);

        var psi = new ProcessStartInfo("kcat", $"-b 127.0.0.1:{server.Port} -L -m 60 -d protocol")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var kcat = Process.Start(psi) ?? throw new InvalidOperationException("kcat did not start (test.sh installs it)");
        var stderr = kcat.StandardError.ReadToEndAsync();
        _ = kcat.StandardOutput.ReadToEndAsync();
        // There is no Metadata handler here: kcat would retry for its whole timeout, so once a
        // Metadata request has arrived (or a generous minute has passed) it is stopped.
        await Eventually.TrueAsync(() => !metadata.Versions.IsEmpty, TimeSpan.FromSeconds(60));
        // Let it read the close and log what it received.
        await Task.Delay(200);
        if (!kcat.HasExited)
        {
            kcat.Kill();
        }
        await kcat.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(server.Metrics.Requests(ApiKey.ApiVersions) >= 1, await stderr);
        Assert.True(server.Metrics.Requests(ApiKey.Metadata) >= 1, await stderr);
        var log = await stderr;
        // librdkafka's own account: it parsed our answer to its first ApiVersions (v3, flexible)...
        Assert.Contains("Received ApiVersionResponse (v3", log, StringComparison.Ordinal);
        Assert.DoesNotContain("ApiVersionRequest failed", log, StringComparison.Ordinal);
        // ...and so asked for metadata at the highest version both sides know (4 for librdkafka
        // 2.0; without a usable ApiVersions answer it would fall back to an older one).
        Assert.Contains(metadata.Versions, v => v >= 4);
        Assert.All(metadata.Versions, v => Assert.InRange(v, (short)0, (short)12));
    }

    private sealed class MetadataRecorder : IRequestDispatcher
    {
        public ConcurrentBag<short> Versions { get; } = [];

        public ValueTask HandleAsync(RequestContext request)
        {
            Versions.Add(request.ApiVersion);
            request.CloseConnection("no Metadata handler yet");
            return ValueTask.CompletedTask;
        }
    }
}
