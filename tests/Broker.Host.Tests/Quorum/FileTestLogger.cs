using Microsoft.Extensions.Logging;

namespace Broker.Host.Tests.Quorum;

/// <summary>With RAFT_TEST_LOG=dir set, each quorum member logs (debug and up) to dir/node-N.log, for diagnosing a failing run.</summary>
internal sealed class FileTestLoggerProvider(string path) : ILoggerProvider
{
    private readonly object _lock = new();

    public static ILoggerFactory? ForNode(int id) =>
        Environment.GetEnvironmentVariable("RAFT_TEST_LOG") is { Length: > 0 } dir
            ? LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FileTestLoggerProvider(Path.Combine(dir, $"node-{id}.log"))))
            : null;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            File.AppendAllText(path, line + Environment.NewLine);
        }
    }

    private sealed class Logger(FileTestLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
