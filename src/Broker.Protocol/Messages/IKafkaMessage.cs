using Broker.Protocol.Primitives;

namespace Broker.Protocol.Messages;

/// <summary>
/// A generated message, header or struct: reads and writes itself in a given version.
/// <see cref="Size"/> is the exact encoded size, so callers pre-size one buffer and write once.
/// </summary>
public interface IKafkaMessage
{
    /// <summary>Reads into a fresh instance; fields absent from <paramref name="version"/> keep their defaults.
    /// <c>bytes</c> and <c>records</c> fields are slices of the reader's frame, not copies.</summary>
    void Read(ref KafkaReader reader, short version);

    /// <summary>Writes the fields <paramref name="version"/> has; others are skipped.</summary>
    void Write(ref KafkaWriter writer, short version);

    int Size(short version);
}
