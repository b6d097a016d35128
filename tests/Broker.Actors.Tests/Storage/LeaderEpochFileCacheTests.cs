using Broker.Actors.Storage;

namespace Broker.Actors.Tests.Storage;

public class LeaderEpochFileCacheTests
{
    [Fact]
    public void AnswersEndOffsetsAndSurvivesReload()
    {
        using var dir = new TempLogDir();
        var cache = new LeaderEpochFileCache(dir.Root);
        cache.Assign(1, 0);
        cache.Assign(1, 10);
        cache.Assign(3, 20);
        cache.Assign(2, 25);
        cache.Assign(5, 40);
        Assert.Equal([new(1, 0), new(3, 20), new(5, 40)], cache.Entries);
        Assert.Equal((5, 55L), cache.EndOffsetFor(5, 55));
        Assert.Equal((3, 40L), cache.EndOffsetFor(4, 55));
        Assert.Equal((1, 20L), cache.EndOffsetFor(1, 55));
        Assert.Equal((0, 0L), cache.EndOffsetFor(0, 55));
        Assert.Equal((-1, -1L), cache.EndOffsetFor(6, 55));

        var reloaded = new LeaderEpochFileCache(dir.Root);
        Assert.Equal(cache.Entries, reloaded.Entries);

        reloaded.TruncateFromEnd(40);
        Assert.Equal(3, reloaded.LatestEpoch);
        reloaded.TruncateFromStart(30);
        Assert.Equal([new(3, 30)], reloaded.Entries);
        Assert.Equal(reloaded.Entries, new LeaderEpochFileCache(dir.Root).Entries);
    }

    [Fact]
    public void TornCheckpointStartsEmpty()
    {
        using var dir = new TempLogDir();
        File.WriteAllText(Path.Combine(dir.Root, LeaderEpochFileCache.FileName), "0\n3\n1 0\n");
        Assert.Empty(new LeaderEpochFileCache(dir.Root).Entries);
    }
}
