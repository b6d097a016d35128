namespace Broker.Host.Configuration.Hocon;

/// <summary>A HOCON syntax or resolution error; the message starts with <c>file:line:column</c>.</summary>
public sealed class HoconException : FormatException
{
    public HoconException(string origin, string message)
        : base($"{origin}: {message}")
    {
        Origin = origin;
        Reason = message;
    }

    public HoconException()
        : this("(unknown)", "invalid HOCON")
    {
    }

    public HoconException(string message)
        : this("(unknown)", message)
    {
    }

    public HoconException(string message, Exception innerException)
        : base(message, innerException)
    {
        Origin = "(unknown)";
        Reason = message;
    }

    /// <summary>Where: <c>file:line:column</c> (or <c>line:column</c> for text without a file).</summary>
    public string Origin { get; }

    /// <summary>What went wrong, without the origin.</summary>
    public string Reason { get; }
}
