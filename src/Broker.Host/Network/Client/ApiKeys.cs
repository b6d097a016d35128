using System.Collections.Concurrent;
using System.Reflection;
using Broker.Protocol.Messages;

namespace Broker.Host.Network.Client;

/// <summary>The api key of a generated request type (its <c>ApiKey</c> constant), looked up once per type.</summary>
internal static class ApiKeys
{
    private static readonly ConcurrentDictionary<Type, ApiKey> Cache = new();

    public static ApiKey Of(IKafkaMessage request) =>
        Cache.GetOrAdd(request.GetType(), static type =>
            type.GetField("ApiKey", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() is short key
                ? (ApiKey)key
                : throw new ArgumentException($"{type.Name} is not a request message (no ApiKey constant)"));
}
