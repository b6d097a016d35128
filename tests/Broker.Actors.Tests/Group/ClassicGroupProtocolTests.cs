using Broker.Actors.Group;

namespace Broker.Actors.Tests.Group;

/// <summary>Protocol selection and the join check against the group's protocol support counts.</summary>
public sealed class ClassicGroupProtocolTests
{
    private static GroupMember Member(string id, params string[] protocols) =>
        new(id, null, "client", "/127.0.0.1")
        {
            ProtocolType = "consumer",
            Protocols = protocols.Select(p => (p, ReadOnlyMemory<byte>.Empty)).ToList(),
        };

    private static List<(string Name, ReadOnlyMemory<byte> Metadata)> Protocols(params string[] names) =>
        names.Select(p => (p, ReadOnlyMemory<byte>.Empty)).ToList();

    private static ClassicGroup Group(params GroupMember[] members)
    {
        var group = new ClassicGroup("g") { ProtocolTypeOrNull = "consumer" };
        foreach (var m in members)
        {
            group.AddMember(m);
        }
        return group;
    }

    [Fact]
    public void The_protocol_most_members_prefer_among_those_all_support_wins()
    {
        var group = Group(Member("a", "range", "roundrobin"), Member("b", "range", "roundrobin"), Member("c", "roundrobin", "range"));
        Assert.Equal("range", group.SelectProtocol());

        // "sticky" is preferred by two but not supported by a: their vote goes to their next common protocol.
        group = Group(Member("a", "roundrobin"), Member("b", "sticky", "roundrobin"), Member("c", "sticky", "range", "roundrobin"));
        Assert.Equal("roundrobin", group.SelectProtocol());
    }

    [Fact]
    public void Removing_a_member_and_changing_protocols_change_what_is_supported_by_all()
    {
        var a = Member("a", "range");
        var b = Member("b", "cooperative-sticky", "range");
        var group = Group(a, b);
        Assert.Equal("range", group.SelectProtocol());
        Assert.False(group.SupportsProtocols("consumer", Protocols("cooperative-sticky")));

        Assert.True(group.RemoveMember("a", out _));
        Assert.Equal("cooperative-sticky", group.SelectProtocol());
        Assert.True(group.SupportsProtocols("consumer", Protocols("cooperative-sticky")));

        group.SetProtocols(b, Protocols("roundrobin"));
        Assert.False(group.SupportsProtocols("consumer", Protocols("cooperative-sticky", "range")));
        Assert.True(group.SupportsProtocols("consumer", Protocols("range", "roundrobin")));
        Assert.False(group.SupportsProtocols("other", Protocols("roundrobin")));
    }

    [Fact]
    public void A_renamed_member_keeps_its_counted_protocols()
    {
        var a = Member("a", "range");
        var group = Group(a, Member("b", "range", "roundrobin"));
        group.RenameMember(a, "a2");
        Assert.True(group.Members.ContainsKey("a2"));
        Assert.False(group.Members.ContainsKey("a"));
        Assert.Equal("range", group.SelectProtocol());
        Assert.True(group.RemoveMember("b", out _));
        group.SetProtocols(a, Protocols("roundrobin"));
        Assert.Equal("roundrobin", group.SelectProtocol());
    }
}
