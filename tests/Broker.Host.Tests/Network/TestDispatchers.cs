using System.Collections.Concurrent;
using Broker.Host.Network;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Tests.Network;

/// <summary>Answers every request with its own body.</summary>
internal sealed class EchoDispatcher : IRequestDispatcher
{
    public ValueTask HandleAsync(RequestContext request)
    {
        // The body stays valid until the response is written, so the echo can point into the frame.
        request.Respond(new RawResponseBody(request.Body));
        return ValueTask.CompletedTask;
    }
}

/// <summary>Echoes each request after a random delay, so completions come out of order.</summary>
internal sealed class RandomDelayEchoDispatcher(int seed, int maxDelayMs) : IRequestDispatcher
{
    private readonly Random _random = new(seed);

    public ValueTask HandleAsync(RequestContext request)
    {
        int delay;
        lock (_random)
        {
            delay = _random.Next(maxDelayMs + 1);
        }
        // Parked like a purgatory operation: the I/O loop is free again at once.
        _ = Task.Delay(delay).ContinueWith(_ => request.Respond(new RawResponseBody(request.Body)), TaskScheduler.Default);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Holds every request until released; counts how many it has seen.</summary>
internal sealed class GatedDispatcher(bool blockIoLoop) : IRequestDispatcher
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<RequestContext> _parked = new();
    private int _seen;

    public int Seen => Volatile.Read(ref _seen);

    public int Parked => _parked.Count;

    public void Open()
    {
        _gate.TrySetResult();
        Drain();
    }

    public async ValueTask HandleAsync(RequestContext request)
    {
        Interlocked.Increment(ref _seen);
        if (blockIoLoop)
        {
            await _gate.Task; // holds this I/O loop, as a stuck handler would
            request.Respond(new RawResponseBody(request.Body));
            return;
        }
        _parked.Enqueue(request);
        if (_gate.Task.IsCompleted)
        {
            Drain();
        }
    }

    private void Drain()
    {
        while (_parked.TryDequeue(out var r))
        {
            r.Respond(new RawResponseBody(r.Body));
        }
    }
}

/// <summary>Collects log lines so tests can check that a close was logged.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyCollection<(LogLevel Level, string Message)> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new ListLogger(_entries);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ConcurrentQueue<(LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue((logLevel, formatter(state, exception)));
            }
        }
    }
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until true or the (generous) timeout passes.</summary>
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }
            await Task.Delay(10);
        }
        return condition();
    }
}
