using Broker.Protocol.Primitives;
using W = Broker.Protocol.Messages;

namespace Broker.Actors.Raft.Wire;

/// <summary>
/// VoteRequest as sent on the wire, carrying KIP-996's PreVote flag. The specs we build from know
/// VoteRequest v0-1 only (PreVote is a v2 field there), so the flag travels the way flexible versions
/// allow: a top-level tagged field (<see cref="PreVoteTag"/>, one byte, 1 = pre-vote) after the v1 body.
/// Readers that do not know the tag skip it; ours read it back with <see cref="ReadPreVote"/>. A Kafka
/// controller would take such a pre-vote for a vote, so the quorum must be all AkkaBroker nodes.
/// </summary>
public sealed class PreVoteVoteRequest : W.IKafkaMessage
{
    public const W.ApiKey ApiKey = W.VoteRequest.ApiKey;

    /// <summary>Far above the tags Kafka assigns (from 0 upwards), so a future spec cannot collide with it.</summary>
    public const uint PreVoteTag = 10_000;

    private const int TagBytes = 3 + 1; // tag (uvarint 10000 = 2 bytes), size (1), value (1): plus the count byte kept

    public PreVoteVoteRequest(W.VoteRequest inner, bool preVote)
    {
        Inner = inner;
        PreVote = preVote;
    }

    public W.VoteRequest Inner { get; }

    public bool PreVote { get; }

    public void Read(ref KafkaReader reader, short version) => throw new NotSupportedException("decode with VoteRequest and ReadPreVote");

    public int Size(short version) => Inner.Size(version) + (PreVote ? TagBytes : 0);

    public void Write(ref KafkaWriter writer, short version)
    {
        if (!PreVote)
        {
            Inner.Write(ref writer, version);
            return;
        }
        // The generated body ends with the top-level tagged-field count (0); write it and replace that
        // byte by a count of 1 followed by our tag.
        var size = Inner.Size(version);
        var body = new byte[size];
        var inner = new KafkaWriter(body);
        Inner.Write(ref inner, version);
        writer.WriteRaw(body.AsSpan(0, size - 1));
        writer.WriteUnsignedVarInt(1);
        writer.WriteUnsignedVarInt(PreVoteTag);
        writer.WriteUnsignedVarInt(1);
        writer.WriteRaw([1]);
    }

    /// <summary>Whether the request whose body is <paramref name="body"/> (decoded as <paramref name="decoded"/>)
    /// carries the PreVote tag. The top-level tagged fields start where the decoded message's own end.</summary>
    public static bool ReadPreVote(W.VoteRequest decoded, ReadOnlyMemory<byte> body, short version)
    {
        var start = decoded.Size(version) - 1;
        if (start < 0 || start >= body.Length)
        {
            return false;
        }
        var reader = new KafkaReader(body[start..]);
        var count = reader.ReadUnsignedVarInt();
        for (var i = 0u; i < count && reader.Remaining > 0; i++)
        {
            var tag = reader.ReadUnsignedVarInt();
            var length = (int)reader.ReadUnsignedVarInt();
            if (length < 0 || length > reader.Remaining)
            {
                return false;
            }
            if (tag == PreVoteTag && length == 1)
            {
                return body.Span[start + reader.Position] != 0;
            }
            reader.Skip(length);
        }
        return false;
    }
}
