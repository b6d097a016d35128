using Microsoft.Extensions.Logging;

namespace Broker.Host;

/// <summary>Lets the Kestrel host log through the broker's own logger factory.</summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory factory) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

    public void Dispose()
    {
    }
}
