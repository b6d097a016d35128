using Broker.Protocol.Messages;

namespace Broker.Protocol.Tests.Messages;

public sealed class ApiTablesTests
{
    [Fact]
    public void VersionTableMatchesTheGeneratedRequestTypes()
    {
        Assert.Equal(ProduceRequest.HighestVersion, ApiVersionTable.Get(ApiKey.Produce).HighestVersion);
        Assert.Equal(9, ApiVersionTable.Get(ApiKey.Produce).FirstFlexibleVersion);
        Assert.Equal(ApiKey.Fetch, FetchRequest.ApiKey);
        Assert.True(ApiVersionTable.Get(ApiKey.ApiVersions).Listeners.HasFlag(ApiListeners.Controller));
        Assert.Equal(3, ApiVersionTable.Get(ApiKey.ControlledShutdown).FirstFlexibleVersion);
        Assert.False(ApiVersionTable.TryGet((ApiKey)999, out _));
        Assert.Equal(Enum.GetValues<ApiKey>().Length, ApiVersionTable.All.Count);
    }

    [Fact]
    public void FactoriesCreateTheRequestAndResponseOfEveryKey()
    {
        foreach (var key in Enum.GetValues<ApiKey>())
        {
            var request = ApiMessages.CreateRequest(key)!;
            var response = ApiMessages.CreateResponse(key)!;
            Assert.Equal(key + "Request", request.GetType().Name);
            Assert.Equal(key + "Response", response.GetType().Name);
            Assert.Equal(key, (ApiKey)request.GetType().GetField("ApiKey")!.GetValue(null)!);
        }
        Assert.Null(ApiMessages.CreateRequest((ApiKey)999));
        foreach (var type in Enum.GetValues<Broker.Protocol.Metadata.MetadataRecordType>())
        {
            Assert.Equal(type.ToString(), Broker.Protocol.Metadata.MetadataRecords.Create(type)!.GetType().Name);
        }
    }

    [Theory]
    [InlineData(ApiKey.Produce, (short)8, (short)1, (short)0)]
    [InlineData(ApiKey.Produce, (short)9, (short)2, (short)1)]
    [InlineData(ApiKey.Metadata, (short)12, (short)2, (short)1)]
    [InlineData(ApiKey.ApiVersions, (short)3, (short)2, (short)0)] // ApiVersions responses always use header v0
    [InlineData(ApiKey.ApiVersions, (short)0, (short)1, (short)0)]
    [InlineData(ApiKey.ControlledShutdown, (short)0, (short)0, (short)0)] // predates client ids
    [InlineData(ApiKey.ControlledShutdown, (short)1, (short)1, (short)0)]
    [InlineData(ApiKey.ControlledShutdown, (short)3, (short)2, (short)1)]
    public void HeaderVersions(ApiKey key, short apiVersion, short requestHeader, short responseHeader)
    {
        Assert.Equal(requestHeader, ApiHeaders.RequestHeaderVersion(key, apiVersion));
        Assert.Equal(responseHeader, ApiHeaders.ResponseHeaderVersion(key, apiVersion));
    }

    [Fact]
    public void ErrorCodesCarryKafkasNamesAndRetriability()
    {
        Assert.Equal(3, (short)ErrorCode.UnknownTopicOrPartition);
        Assert.Equal("UNKNOWN_TOPIC_OR_PARTITION", ErrorCode.UnknownTopicOrPartition.Name());
        Assert.True(ErrorCode.UnknownTopicOrPartition.IsRetriable());
        Assert.True(ErrorCode.NotLeaderOrFollower.IsRetriable());
        Assert.False(ErrorCode.TopicAlreadyExists.IsRetriable());
        Assert.Equal("UNKNOWN_SERVER_ERROR", ErrorCode.UnknownServerError.Name());
        Assert.Equal(35, (short)ErrorCode.UnsupportedVersion);
        Assert.Equal(120, (short)ErrorCode.TransactionAbortable);
        Assert.Equal(ErrorCodes.All.Count, ErrorCodes.All.Select(e => e.Code).Distinct().Count());
        Assert.Equal(Enum.GetValues<ErrorCode>().Length, ErrorCodes.All.Count);
    }
}
