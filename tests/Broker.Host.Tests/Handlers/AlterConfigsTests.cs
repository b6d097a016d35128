using Broker.Actors.Configs;
using Broker.Protocol.Messages;
using Alter = Broker.Protocol.Messages.AlterConfigsRequest;
using Incremental = Broker.Protocol.Messages.IncrementalAlterConfigsRequest;

namespace Broker.Host.Tests.Handlers;

/// <summary>AlterConfigs and IncrementalAlterConfigs over a real socket, checked through DescribeConfigs.</summary>
public sealed class AlterConfigsTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private const sbyte Topic = 2;
    private const sbyte Broker = 4;
    private const sbyte Set = 0, Delete = 1, Append = 2, Subtract = 3;

    private async Task<AlterConfigsResponse.AlterConfigsResourceResponse> AlterAsync(
        sbyte type, string name, IReadOnlyList<(string Name, string? Value)> configs, bool validateOnly = false, short version = 2)
    {
        using var client = await fixture.Broker.ConnectAsync();
        var resource = new Alter.AlterConfigsResource { ResourceType = type, ResourceName = name };
        resource.Configs.AddRange(configs.Select(c => new Alter.AlterableConfig { Name = c.Name, Value = c.Value }));
        var response = await client.SendAsync<AlterConfigsResponse>(new Alter { Resources = [resource], ValidateOnly = validateOnly }, version);
        return Assert.Single(response.Responses);
    }

    private async Task<IncrementalAlterConfigsResponse.AlterConfigsResourceResponse> IncrementalAsync(
        sbyte type, string name, IReadOnlyList<(string Name, sbyte Op, string? Value)> configs, bool validateOnly = false, short version = 1)
    {
        using var client = await fixture.Broker.ConnectAsync();
        var resource = new Incremental.AlterConfigsResource { ResourceType = type, ResourceName = name };
        resource.Configs.AddRange(configs.Select(c => new Incremental.AlterableConfig { Name = c.Name, ConfigOperation = c.Op, Value = c.Value }));
        var response = await client.SendAsync<IncrementalAlterConfigsResponse>(new Incremental { Resources = [resource], ValidateOnly = validateOnly }, version);
        return Assert.Single(response.Responses);
    }

    private async Task<Dictionary<string, (string? Value, sbyte Source)>> DescribeTopicAsync(string topic)
    {
        using var client = await fixture.Broker.ConnectAsync();
        var response = await client.SendAsync<DescribeConfigsResponse>(new DescribeConfigsRequest
        {
            Resources = [new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = Topic, ResourceName = topic, ConfigurationKeys = null }],
        }, 4);
        var result = Assert.Single(response.Results);
        Assert.Equal(0, result.ErrorCode);
        return result.Configs.ToDictionary(c => c.Name, c => (c.Value, c.ConfigSource));
    }

    [Fact]
    public async Task AlterConfigs_replaces_all_topic_overrides()
    {
        await fixture.Broker.CreateTopicAsync("ac-replace", configs: new Dictionary<string, string> { ["retention.ms"] = "3600000" });

        var r = await AlterAsync(Topic, "ac-replace", [("segment.bytes", "1048576"), ("cleanup.policy", "compact")]);
        Assert.Equal(0, r.ErrorCode);
        Assert.Equal("ac-replace", r.ResourceName);
        Assert.Equal(Topic, r.ResourceType);

        var configs = await DescribeTopicAsync("ac-replace");
        Assert.Equal(("1048576", (sbyte)ConfigSource.DynamicTopicConfig), configs["segment.bytes"]);
        Assert.Equal(("compact", (sbyte)ConfigSource.DynamicTopicConfig), configs["cleanup.policy"]);
        Assert.Equal(("604800000", (sbyte)ConfigSource.DefaultConfig), configs["retention.ms"]); // not named: back to the default
    }

    [Fact]
    public async Task Validate_only_and_bad_values_change_nothing()
    {
        await fixture.Broker.CreateTopicAsync("ac-validate");

        Assert.Equal(0, (await AlterAsync(Topic, "ac-validate", [("retention.ms", "1000")], validateOnly: true)).ErrorCode);
        Assert.Equal(0, (await IncrementalAsync(Topic, "ac-validate", [("retention.ms", Set, "1000")], validateOnly: true)).ErrorCode);
        var unknownKey = await AlterAsync(Topic, "ac-validate", [("retention.ms", "1000"), ("no.such.config", "1")]);
        Assert.Equal((short)ErrorCode.InvalidConfig, unknownKey.ErrorCode);
        Assert.Contains("no.such.config", unknownKey.ErrorMessage);
        Assert.Equal((short)ErrorCode.InvalidConfig, (await IncrementalAsync(Topic, "ac-validate", [("retention.ms", Set, "soon")])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidConfig, (await IncrementalAsync(Topic, "ac-validate", [("segment.bytes", Set, "1")])).ErrorCode);

        Assert.Equal("604800000", (await DescribeTopicAsync("ac-validate"))["retention.ms"].Value);
    }

    [Fact]
    public async Task Malformed_requests_get_invalid_request_and_unknown_topics_unknown_topic()
    {
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await AlterAsync(Topic, "ac-missing", [("retention.ms", "1")])).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await IncrementalAsync(Topic, "ac-missing", [("retention.ms", Set, "1")])).ErrorCode);
        await fixture.Broker.CreateTopicAsync("ac-malformed");
        Assert.Equal((short)ErrorCode.InvalidRequest,
            (await IncrementalAsync(Topic, "ac-malformed", [("retention.ms", Set, "1"), ("retention.ms", Set, "2")])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, (await IncrementalAsync(Topic, "ac-malformed", [("retention.ms", Set, null)])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, (await IncrementalAsync(Topic, "ac-malformed", [("retention.ms", 9, "1")])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, (await AlterAsync(3, "a-group", [("retention.ms", "1")])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, (await AlterAsync(Broker, "7", [("log.retention.ms", "1")])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, (await IncrementalAsync(Broker, "1", [("num.io.threads", Set, "4")])).ErrorCode);

        using var client = await fixture.Broker.ConnectAsync();
        var twice = new Alter { Resources = [
            new Alter.AlterConfigsResource { ResourceType = Topic, ResourceName = "ac-malformed", Configs = [new Alter.AlterableConfig { Name = "retention.ms", Value = "5" }] },
            new Alter.AlterConfigsResource { ResourceType = Topic, ResourceName = "ac-malformed", Configs = [new Alter.AlterableConfig { Name = "retention.ms", Value = "6" }] },
        ] };
        var response = await client.SendAsync<AlterConfigsResponse>(twice, 1);
        Assert.All(response.Responses, r => Assert.Equal((short)ErrorCode.InvalidRequest, r.ErrorCode));
        Assert.Equal("604800000", (await DescribeTopicAsync("ac-malformed"))["retention.ms"].Value);
    }

    [Fact]
    public async Task Incremental_set_delete_append_subtract()
    {
        await fixture.Broker.CreateTopicAsync("ac-incremental", configs: new Dictionary<string, string> { ["retention.ms"] = "3600000" });

        Assert.Equal(0, (await IncrementalAsync(Topic, "ac-incremental", [("max.message.bytes", Set, "2000000")])).ErrorCode);
        var configs = await DescribeTopicAsync("ac-incremental");
        Assert.Equal("2000000", configs["max.message.bytes"].Value);
        Assert.Equal("3600000", configs["retention.ms"].Value); // untouched keys stay

        Assert.Equal(0, (await IncrementalAsync(Topic, "ac-incremental", [("retention.ms", Delete, null), ("cleanup.policy", Append, "compact")])).ErrorCode);
        configs = await DescribeTopicAsync("ac-incremental");
        Assert.Equal(("604800000", (sbyte)ConfigSource.DefaultConfig), configs["retention.ms"]);
        Assert.Equal("compact", configs["cleanup.policy"].Value);

        Assert.Equal(0, (await IncrementalAsync(Topic, "ac-incremental", [("cleanup.policy", Append, "delete")])).ErrorCode);
        Assert.Equal("compact,delete", (await DescribeTopicAsync("ac-incremental"))["cleanup.policy"].Value);
        Assert.Equal(0, (await IncrementalAsync(Topic, "ac-incremental", [("cleanup.policy", Subtract, "compact")])).ErrorCode);
        Assert.Equal("delete", (await DescribeTopicAsync("ac-incremental"))["cleanup.policy"].Value);
        Assert.Equal((short)ErrorCode.InvalidConfig, (await IncrementalAsync(Topic, "ac-incremental", [("retention.ms", Append, "1")])).ErrorCode);
    }

    [Fact]
    public async Task Broker_dynamic_default_backs_topics_without_an_override()
    {
        await fixture.Broker.CreateTopicAsync("ac-broker-default");
        try
        {
            Assert.Equal(0, (await IncrementalAsync(Broker, "", [("log.segment.delete.delay.ms", Set, "1234")])).ErrorCode);

            Assert.Equal(("1234", (sbyte)ConfigSource.DynamicDefaultBrokerConfig), (await DescribeTopicAsync("ac-broker-default"))["file.delete.delay.ms"]);
            using var client = await fixture.Broker.ConnectAsync();
            var response = await client.SendAsync<DescribeConfigsResponse>(new DescribeConfigsRequest
            {
                Resources = [new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = Broker, ResourceName = "", ConfigurationKeys = null }],
                IncludeSynonyms = true,
            }, 4);
            var entry = Assert.Single(Assert.Single(response.Results).Configs);
            Assert.Equal(("log.segment.delete.delay.ms", "1234", (sbyte)ConfigSource.DynamicDefaultBrokerConfig), (entry.Name, entry.Value, entry.ConfigSource));
            Assert.Equal(["DynamicDefaultBrokerConfig", "DefaultConfig"], entry.Synonyms.Select(s => ((ConfigSource)s.Source).ToString()));
            var log = fixture.Broker.Node.Replicas.Get("ac-broker-default", 0)!;
            await Eventually.TrueAsync(() => log.Log?.Config.FileDeleteDelayMs == 1234, "the partition log picks up the broker default");
        }
        finally
        {
            Assert.Equal(0, (await IncrementalAsync(Broker, "1", [("log.segment.delete.delay.ms", Delete, null)])).ErrorCode);
        }
    }
}
