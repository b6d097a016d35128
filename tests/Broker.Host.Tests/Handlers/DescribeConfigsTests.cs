using Broker.Actors.Configs;
using Broker.Protocol.Messages;
using static Broker.Protocol.Messages.DescribeConfigsRequest;
using static Broker.Protocol.Messages.DescribeConfigsResponse;

namespace Broker.Host.Tests.Handlers;

/// <summary>DescribeConfigs against an in-process broker over a real socket.</summary>
public sealed class DescribeConfigsTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private const sbyte Topic = 2;
    private const sbyte Broker = 4;

    private async Task<DescribeConfigsResult> DescribeAsync(
        sbyte type, string name, short version = 4, List<string>? keys = null, bool synonyms = true, bool documentation = true)
    {
        using var client = await fixture.Broker.ConnectAsync();
        var response = await client.SendAsync<DescribeConfigsResponse>(new DescribeConfigsRequest
        {
            Resources = [new DescribeConfigsResource { ResourceType = type, ResourceName = name, ConfigurationKeys = keys }],
            IncludeSynonyms = synonyms,
            IncludeDocumentation = documentation,
        }, version);
        return Assert.Single(response.Results);
    }

    [Fact]
    public async Task Topic_lists_every_config_with_value_source_synonyms_type_and_documentation()
    {
        await fixture.Broker.CreateTopicAsync("dc-all", configs: new Dictionary<string, string> { ["retention.ms"] = "3600000" });

        var result = await DescribeAsync(Topic, "dc-all");

        Assert.Equal(0, result.ErrorCode);
        Assert.Null(result.ErrorMessage);
        Assert.Equal(TopicConfigs.Definition.Keys.Select(k => k.Name), result.Configs.Select(c => c.Name));

        var retention = result.Configs.Single(c => c.Name == "retention.ms");
        Assert.Equal("3600000", retention.Value);
        Assert.Equal((sbyte)ConfigSource.DynamicTopicConfig, retention.ConfigSource);
        Assert.False(retention.ReadOnly);
        Assert.False(retention.IsSensitive);
        Assert.Equal(5, retention.ConfigType); // LONG
        Assert.False(string.IsNullOrEmpty(retention.Documentation));
        Assert.Equal(
            [("retention.ms", "3600000", (sbyte)ConfigSource.DynamicTopicConfig), ("log.retention.hours", "168", (sbyte)ConfigSource.DefaultConfig)],
            retention.Synonyms.Select(s => (s.Name, s.Value, s.Source)));

        var retentionBytes = result.Configs.Single(c => c.Name == "retention.bytes");
        Assert.Equal("1000000000", retentionBytes.Value);
        Assert.Equal((sbyte)ConfigSource.StaticBrokerConfig, retentionBytes.ConfigSource);
        Assert.Equal(("log.retention.bytes", "1000000000", (sbyte)ConfigSource.StaticBrokerConfig),
            retentionBytes.Synonyms.Select(s => (s.Name, s.Value, s.Source)).Single());

        var segment = result.Configs.Single(c => c.Name == "segment.bytes");
        Assert.Equal("1073741824", segment.Value);
        Assert.Equal((sbyte)ConfigSource.DefaultConfig, segment.ConfigSource);
        Assert.Equal(3, segment.ConfigType); // INT

        var cleanup = result.Configs.Single(c => c.Name == "cleanup.policy");
        Assert.Equal("delete", cleanup.Value);
        Assert.Equal(7, cleanup.ConfigType); // LIST
        Assert.Equal(1, result.Configs.Single(c => c.Name == "preallocate").ConfigType); // BOOLEAN
    }

    [Fact]
    public async Task Synonyms_and_documentation_only_when_asked_and_v0_reports_is_default()
    {
        await fixture.Broker.CreateTopicAsync("dc-versions", configs: new Dictionary<string, string> { ["segment.ms"] = "60000" });

        var plain = await DescribeAsync(Topic, "dc-versions", version: 3, synonyms: false, documentation: false);
        Assert.All(plain.Configs, c => Assert.Empty(c.Synonyms));
        Assert.All(plain.Configs, c => Assert.Null(c.Documentation));

        var v0 = await DescribeAsync(Topic, "dc-versions", version: 0);
        Assert.True(v0.Configs.Single(c => c.Name == "segment.bytes").IsDefault);
        Assert.False(v0.Configs.Single(c => c.Name == "segment.ms").IsDefault);
        Assert.Equal("60000", v0.Configs.Single(c => c.Name == "segment.ms").Value);

        var v1 = await DescribeAsync(Topic, "dc-versions", version: 1);
        Assert.Equal((sbyte)ConfigSource.DynamicTopicConfig, v1.Configs.Single(c => c.Name == "segment.ms").ConfigSource);
        Assert.NotEmpty(v1.Configs.Single(c => c.Name == "segment.ms").Synonyms);
    }

    [Fact]
    public async Task Requested_keys_filter_the_result_and_unknown_keys_are_left_out()
    {
        await fixture.Broker.CreateTopicAsync("dc-filter");

        var result = await DescribeAsync(Topic, "dc-filter", keys: ["max.message.bytes", "no.such.key", "cleanup.policy"]);

        Assert.Equal(["cleanup.policy", "max.message.bytes"], result.Configs.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Equal("1048588", result.Configs.Single(c => c.Name == "max.message.bytes").Value);
    }

    [Fact]
    public async Task Unknown_and_invalid_topics_and_unsupported_resource_types_get_kafkas_errors()
    {
        var unknown = await DescribeAsync(Topic, "dc-no-such-topic");
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, unknown.ErrorCode);
        Assert.Empty(unknown.Configs);

        var invalid = await DescribeAsync(Topic, "bad/name");
        Assert.Equal((short)ErrorCode.InvalidTopicException, invalid.ErrorCode);

        var group = await DescribeAsync(3, "some-group");
        Assert.Equal((short)ErrorCode.InvalidRequest, group.ErrorCode);
        Assert.Equal(3, group.ResourceType);
        Assert.Equal("some-group", group.ResourceName);
    }

    [Fact]
    public async Task Broker_resource_lists_every_broker_config_and_other_ids_are_invalid()
    {
        var result = await DescribeAsync(Broker, "1");

        Assert.Equal(0, result.ErrorCode);
        Assert.Equal(BrokerConfigs.Definition.Keys.Count, result.Configs.Count);
        var nodeId = result.Configs.Single(c => c.Name == "node.id");
        Assert.Equal("1", nodeId.Value);
        Assert.Equal((sbyte)ConfigSource.StaticBrokerConfig, nodeId.ConfigSource);
        Assert.True(nodeId.ReadOnly);
        var retentionBytes = result.Configs.Single(c => c.Name == "log.retention.bytes");
        Assert.Equal("1000000000", retentionBytes.Value);
        Assert.False(retentionBytes.ReadOnly);
        Assert.Equal(5, retentionBytes.ConfigType); // LONG
        Assert.Equal(
            [("log.retention.bytes", "1000000000", (sbyte)ConfigSource.StaticBrokerConfig), ("log.retention.bytes", "-1", (sbyte)ConfigSource.DefaultConfig)],
            retentionBytes.Synonyms.Select(s => (s.Name, s.Value, s.Source)));
        var hours = result.Configs.Single(c => c.Name == "log.retention.hours");
        Assert.Equal("168", hours.Value);
        Assert.Equal((sbyte)ConfigSource.DefaultConfig, hours.ConfigSource);

        var other = await DescribeAsync(Broker, "2");
        Assert.Equal((short)ErrorCode.InvalidRequest, other.ErrorCode);
        var notANumber = await DescribeAsync(Broker, "one");
        Assert.Equal((short)ErrorCode.InvalidRequest, notANumber.ErrorCode);
    }
}
