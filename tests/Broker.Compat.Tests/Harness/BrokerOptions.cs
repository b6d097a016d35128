namespace Broker.Compat.Tests.Harness;

/// <summary>How to start the broker under test. Config keys are Kafka's own names, passed as --set key=value.</summary>
public sealed record BrokerOptions
{
    /// <summary>The HOCON file, relative to the repository root.</summary>
    public string ConfigFile { get; init; } = Path.Combine("hocon", "single-node.conf");

    public int NodeId { get; init; } = 1;

    /// <summary>More --set overrides, e.g. num.partitions or log.segment.bytes.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>How long the broker may take until its listener accepts connections.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
