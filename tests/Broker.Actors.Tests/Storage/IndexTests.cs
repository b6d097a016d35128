using Broker.Actors.Storage;

namespace Broker.Actors.Tests.Storage;

public class IndexTests
{
    [Fact]
    public void OffsetIndexLooksUpFloorEntriesAndPersists()
    {
        using var dir = new TempLogDir();
        var path = Path.Combine(dir.Root, "00000000000000000100.index");
        using (var index = new OffsetIndex(path, 100))
        {
            Assert.True(index.Load());
            for (var i = 1; i <= 50; i++)
            {
                index.Append(100 + i * 10, i * 1000);
            }
            index.Append(300, 5); // not ascending: ignored
            Assert.Equal(0, index.LookupPosition(105));
            Assert.Equal(1000, index.LookupPosition(110));
            Assert.Equal(1000, index.LookupPosition(119));
            Assert.Equal(25_000, index.LookupPosition(355));
            Assert.Equal(50_000, index.LookupPosition(10_000));
            index.Flush(fsync: true);
            Assert.Equal(50 * OffsetIndex.EntrySize, new FileInfo(path).Length);
            index.TruncateTo(300);
            Assert.Equal(19, index.Count);
            Assert.Equal(19 * OffsetIndex.EntrySize, new FileInfo(path).Length);
        }
        using var reloaded = new OffsetIndex(path, 100);
        Assert.True(reloaded.Load());
        Assert.True(reloaded.IsSane(20_000));
        Assert.False(reloaded.IsSane(19_000));
        Assert.Equal(290, reloaded.LastOffset);
        Assert.Equal(19_000, reloaded.LookupPosition(1_000));
    }

    [Fact]
    public void TimeIndexLookupReturnsAnOffsetBeforeEveryNewerRecord()
    {
        using var dir = new TempLogDir();
        using var index = new TimeIndex(Path.Combine(dir.Root, "00000000000000000000.timeindex"), 0);
        Assert.True(index.Load());
        index.MaybeAppend(100, 10);
        index.MaybeAppend(100, 20); // same timestamp: ignored
        index.MaybeAppend(200, 30);
        index.MaybeAppend(300, 40);
        Assert.Equal(0, index.Lookup(50));
        Assert.Equal(0, index.Lookup(100));
        Assert.Equal(10, index.Lookup(101));
        Assert.Equal(30, index.Lookup(300));
        Assert.Equal(40, index.Lookup(301));
        Assert.True(index.IsSane(41));
        Assert.False(index.IsSane(40));
    }

    [Fact]
    public void ReadersKeepAConsistentViewWhileTheListGrowsAndShrinks()
    {
        var list = new PublishedList<long>(4);
        for (var i = 0; i < 10; i++)
        {
            list.Add(i);
        }
        var view = list.View;
        list.TruncateTo(3);
        list.Add(99);
        Assert.Equal(9, view[9]);
        Assert.Equal(3, view[3]);
        Assert.Equal([0L, 1, 2, 99], list.View.ToArray());
    }
}
