using Broker.Actors.Storage;

namespace Broker.Actors.Tests.Storage;

/// <summary><c>partition.metadata</c> as Kafka writes it, and the LogManager's use of the topic id in it.</summary>
public class PartitionMetadataFileTests
{
    private static LogManagerConfig ConfigFor(TempLogDir dir) => new()
    {
        LogDirs = [Path.Combine(dir.Root, "data")],
        DefaultLogConfig = LogAppendReadTests.SmallSegments with { FileDeleteDelayMs = 0 },
    };

    [Fact]
    public void The_file_is_kafkas_format_with_the_id_in_url_safe_base64()
    {
        using var dir = new TempLogDir();
        // Kafka's Uuid(0, 1).toString() is "AAAAAAAAAAAAAAAAAAAAAQ"; a Guid here holds Kafka's big-endian bytes.
        var id = new Guid([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], bigEndian: true);
        PartitionMetadataFile.Write(dir.Root, id);
        Assert.Equal("version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n", File.ReadAllText(Path.Combine(dir.Root, PartitionMetadataFile.FileName)));
        Assert.Equal(id, PartitionMetadataFile.Read(dir.Root));

        var random = Guid.NewGuid();
        Assert.True(PartitionMetadataFile.TryParseUuid(PartitionMetadataFile.FormatUuid(random), out var parsed));
        Assert.Equal(random, parsed);
        Assert.DoesNotContain('=', PartitionMetadataFile.FormatUuid(random));
    }

    [Theory]
    [InlineData("")]
    [InlineData("version: 1\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n")]
    [InlineData("version: 0\ntopic_id: not-base64!\n")]
    [InlineData("version: 0\ntopic_id: AAAA\n")]
    public void A_missing_or_damaged_file_reads_as_no_id(string content)
    {
        using var dir = new TempLogDir();
        Assert.Null(PartitionMetadataFile.Read(dir.Root));
        File.WriteAllText(Path.Combine(dir.Root, PartitionMetadataFile.FileName), content);
        Assert.Null(PartitionMetadataFile.Read(dir.Root));
    }

    [Fact]
    public async Task A_log_of_another_topic_id_is_replaced_and_a_log_without_one_adopts_it()
    {
        using var dir = new TempLogDir();
        var config = ConfigFor(dir);
        var tp = new TopicPartition("t", 0);
        var oldId = Guid.NewGuid();
        var newId = Guid.NewGuid();
        using (var manager = LogManager.Startup(config))
        {
            manager.GetOrCreateLog(tp, topicId: oldId).Append(TestBatches.Build(5));
            manager.GetOrCreateLog(new TopicPartition("legacy", 0)).Append(TestBatches.Build(2));
            manager.Shutdown();
        }
        using var restarted = LogManager.Startup(config);
        Assert.Equal(oldId, restarted.GetLog(tp)!.TopicId);
        Assert.Equal(5, restarted.GetOrCreateLog(tp, topicId: oldId).LogEndOffset);

        // The topic was deleted and recreated: the old records must not show up in the new topic.
        var recreated = restarted.GetOrCreateLog(tp, topicId: newId);
        Assert.Equal(0, recreated.LogEndOffset);
        Assert.Equal(newId, PartitionMetadataFile.Read(recreated.Dir));
        // A late deletion of the old topic's log leaves the new one alone.
        await restarted.DeleteLog(tp, oldId);
        Assert.Same(recreated, restarted.GetLog(tp));

        // A log from before topic ids were recorded takes the id it is first opened with.
        var legacy = restarted.GetOrCreateLog(new TopicPartition("legacy", 0), topicId: newId);
        Assert.Equal(2, legacy.LogEndOffset);
        Assert.Equal(newId, PartitionMetadataFile.Read(legacy.Dir));
    }

    [Fact]
    public void The_metadata_log_directory_is_not_opened_as_a_partition_log()
    {
        using var dir = new TempLogDir();
        var config = ConfigFor(dir);
        Directory.CreateDirectory(Path.Combine(config.LogDirs[0], LogManager.MetadataLogDirectoryName));
        using var manager = LogManager.Startup(config);
        Assert.Equal(0, manager.LogCount);
    }
}
