namespace Broker.Host.Tests.Handlers;

/// <summary>One in-process broker shared by the tests of a class (each test uses its own topics).</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private InProcessBroker? _broker;

    /// <summary>Static broker settings the config tests look for (STATIC_BROKER_CONFIG sources).</summary>
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["log.retention.bytes"] = "1000000000",
    };

    internal InProcessBroker Broker => _broker ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _broker = await InProcessBroker.StartAsync(Settings);

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
