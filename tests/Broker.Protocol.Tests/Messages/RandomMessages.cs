using System.Collections;
using System.Reflection;
using Broker.Protocol.Messages;

namespace Broker.Protocol.Tests.Messages;

/// <summary>
/// Fills generated messages with seeded random values valid for one version: only fields the
/// version has, null only where the version allows it, arrays of 0-3 elements, tagged fields too.
/// </summary>
internal sealed class RandomMessages(int seed)
{
    private const string Alphabet = "abcXYZ019-_. é€";
    private readonly Random _rng = new(seed);

    public T Create<T>(short version) where T : IKafkaMessage, new() => (T)Create(typeof(T), version);

    public object Create(Type type, short version)
    {
        var message = Activator.CreateInstance(type)!;
        Fill(message, version);
        return message;
    }

    private void Fill(object message, short version)
    {
        foreach (var (prop, field) in Fields(message.GetType()))
        {
            if (!SpecVersions.Contains(field.Versions, version))
            {
                continue;
            }
            var nullable = SpecVersions.Contains(field.Nullable, version);
            prop.SetValue(message, nullable && _rng.Next(5) == 0 ? null : Value(prop.PropertyType, version));
        }
    }

    public static IEnumerable<(PropertyInfo Property, KafkaFieldAttribute Field)> Fields(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, p.GetCustomAttribute<KafkaFieldAttribute>()))
            .Where(x => x.Item2 is not null)
            .Select(x => (x.p, x.Item2!));

    private object Value(Type type, short version)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(bool)) return _rng.Next(2) == 1;
        if (type == typeof(sbyte)) return (sbyte)_rng.Next(sbyte.MinValue, sbyte.MaxValue + 1);
        if (type == typeof(short)) return (short)_rng.Next(short.MinValue, short.MaxValue + 1);
        if (type == typeof(ushort)) return (ushort)_rng.Next(0, ushort.MaxValue + 1);
        if (type == typeof(int)) return Int();
        if (type == typeof(uint)) return (uint)Int();
        if (type == typeof(long)) return _rng.Next(3) == 0 ? (long)Int() : _rng.NextInt64(long.MinValue, long.MaxValue);
        if (type == typeof(double)) return _rng.NextDouble() * 1e6 - 5e5;
        if (type == typeof(Guid)) return Uuid();
        if (type == typeof(string)) return Text();
        if (type == typeof(ReadOnlyMemory<byte>)) return new ReadOnlyMemory<byte>(Bytes());
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var element = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(type)!;
            var n = _rng.Next(4);
            for (var i = 0; i < n; i++)
            {
                list.Add(Value(element, version));
            }
            return list;
        }
        if (typeof(IKafkaMessage).IsAssignableFrom(type))
        {
            return Create(type, version);
        }
        throw new NotSupportedException($"no random value for {type}");
    }

    /// <summary>Mostly small numbers (varint edge cases), sometimes the extremes.</summary>
    private int Int() => _rng.Next(6) switch
    {
        0 => -1,
        1 => int.MaxValue,
        2 => int.MinValue,
        3 => _rng.Next(-200, 200),
        _ => _rng.Next(int.MinValue, int.MaxValue),
    };

    private Guid Uuid()
    {
        Span<byte> b = stackalloc byte[16];
        _rng.NextBytes(b);
        return new Guid(b, bigEndian: true);
    }

    private string Text()
    {
        var n = _rng.Next(7);
        var chars = new char[n];
        for (var i = 0; i < n; i++)
        {
            chars[i] = Alphabet[_rng.Next(Alphabet.Length)];
        }
        return new string(chars);
    }

    private byte[] Bytes()
    {
        var b = new byte[_rng.Next(7)];
        _rng.NextBytes(b);
        return b;
    }
}
