using System.Buffers;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Messages;

public static class KafkaMessageExtensions
{
    /// <summary>Writes <paramref name="message"/> straight into <paramref name="output"/>'s memory:
    /// sizes first, asks for one span of that size, writes, advances. Returns the bytes written.</summary>
    public static int WriteTo(this IKafkaMessage message, IBufferWriter<byte> output, short version)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        var size = message.Size(version);
        var span = output.GetSpan(size)[..size];
        var writer = new KafkaWriter(span);
        message.Write(ref writer, version);
        if (writer.Position != size)
        {
            throw new InvalidOperationException($"{message.GetType().Name} v{version}: wrote {writer.Position} bytes but sized {size}");
        }
        output.Advance(size);
        return size;
    }

    /// <summary>Encodes into a new array (tests, control paths; hot paths use <see cref="WriteTo"/>).</summary>
    public static byte[] ToArray(this IKafkaMessage message, short version)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bytes = new byte[message.Size(version)];
        var writer = new KafkaWriter(bytes);
        message.Write(ref writer, version);
        if (writer.Position != bytes.Length)
        {
            throw new InvalidOperationException($"{message.GetType().Name} v{version}: wrote {writer.Position} bytes but sized {bytes.Length}");
        }
        return bytes;
    }

    /// <summary>Reads a <typeparamref name="T"/> from a whole frame.</summary>
    public static T Parse<T>(ReadOnlyMemory<byte> frame, short version) where T : IKafkaMessage, new()
    {
        var reader = new KafkaReader(frame);
        var message = new T();
        message.Read(ref reader, version);
        return message;
    }
}
