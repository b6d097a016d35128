using System.Buffers.Binary;
using System.Text.Json;
using Broker.Protocol.Messages;
using Broker.Protocol.Primitives;

namespace Broker.Protocol.Tests.Fixtures;

/// <summary>
/// One request frame a real client sent (see README.md here), with what the capture recorded about
/// it in its client's fixtures.json, decoded with the generated header and message types.
/// </summary>
public sealed class ClientFrame
{
    public static readonly string[] Clients = ["kcat", "confluent-kafka", "kafka-python", "kafkajs"];

    private ClientFrame(string client, string file, byte[] bytes, JsonElement capture, JsonElement manifest)
    {
        Client = client;
        File = file;
        Bytes = bytes;
        Capture = capture;
        Manifest = manifest;
    }

    public string Client { get; }
    public string File { get; }

    /// <summary>The frame without its size prefix: request header, then body.</summary>
    public byte[] Bytes { get; }

    /// <summary>This frame's entry in fixtures.json (what the fake broker decoded from it).</summary>
    public JsonElement Capture { get; }

    /// <summary>The client's whole fixtures.json: client version, topic, records sent.</summary>
    public JsonElement Manifest { get; }

    public ApiKey ApiKey => (ApiKey)BinaryPrimitives.ReadInt16BigEndian(Bytes);
    public short ApiVersion => BinaryPrimitives.ReadInt16BigEndian(Bytes.AsSpan(2));
    public short HeaderVersion => ApiHeaders.RequestHeaderVersion(ApiKey, ApiVersion);

    public override string ToString() => $"{Client}/{File}";

    public static string Dir(string client) => Path.Combine(AppContext.BaseDirectory, "Fixtures", client);

    public static JsonElement LoadManifest(string client)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(Dir(client), "fixtures.json")));
        return doc.RootElement.Clone();
    }

    public static ClientFrame Load(string client, string file)
    {
        var manifest = LoadManifest(client);
        var capture = manifest.GetProperty("frames").EnumerateArray().Single(f => f.GetProperty("file").GetString() == file);
        return new ClientFrame(client, file, System.IO.File.ReadAllBytes(Path.Combine(Dir(client), file)), capture, manifest);
    }

    /// <summary>Every captured frame as (client, file), for theories.</summary>
    public static IEnumerable<(string Client, string File)> All() =>
        Clients.SelectMany(c => LoadManifest(c).GetProperty("frames").EnumerateArray()
            .Select(f => (c, f.GetProperty("file").GetString()!)));

    /// <summary>Decodes the header, then the body as <typeparamref name="T"/>; returns the bytes left unread (0 when the frame is whole).</summary>
    public (RequestHeader Header, T Body, int Unread) Decode<T>() where T : IKafkaMessage, new()
    {
        var reader = new KafkaReader(Bytes);
        var header = new RequestHeader();
        header.Read(ref reader, HeaderVersion);
        var body = new T();
        body.Read(ref reader, header.RequestApiVersion);
        return (header, body, reader.Remaining);
    }

    /// <summary>The body as its generated type, chosen by the header's api key.</summary>
    public (RequestHeader Header, IKafkaMessage Body, int Unread) DecodeAny() => ApiKey switch
    {
        ApiKey.ApiVersions => Widen(Decode<ApiVersionsRequest>()),
        ApiKey.Metadata => Widen(Decode<MetadataRequest>()),
        ApiKey.Produce => Widen(Decode<ProduceRequest>()),
        ApiKey.InitProducerId => Widen(Decode<InitProducerIdRequest>()),
        _ => throw new InvalidOperationException($"no fixture decoder for {ApiKey}"),
    };

    private static (RequestHeader, IKafkaMessage, int) Widen<T>((RequestHeader Header, T Body, int Unread) d) where T : IKafkaMessage =>
        (d.Header, d.Body, d.Unread);
}
