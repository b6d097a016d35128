using Broker.Actors.Raft;
using Broker.Actors.Raft.Storage;

namespace Broker.Actors.Tests.Raft.Storage;

public sealed class FileRaftLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "raftlog-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static RaftEntry Entry(long offset, int epoch, string value = "", RaftRecordType type = RaftRecordType.Data) =>
        new(offset, epoch, type, System.Text.Encoding.UTF8.GetBytes(value.Length == 0 ? $"v{offset}" : value));

    private static string Text(RaftEntry entry) => System.Text.Encoding.UTF8.GetString(entry.Value.Span);

    [Fact]
    public void Entries_survive_reopen_with_epochs_types_and_values()
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            log.Append(Entry(0, 1, "leader", RaftRecordType.LeaderChange));
            log.Append(Entry(1, 1));
            log.Append(Entry(2, 3));
            log.Flush();
            Assert.Equal(3, log.FlushedEndOffset);
        }
        using var reopened = FileRaftLog.Open(_dir);
        Assert.Equal(0, reopened.RecoveredTornBytes);
        Assert.Equal(3, reopened.EndOffset);
        Assert.Equal(3, reopened.FlushedEndOffset);
        Assert.Equal(3, reopened.LastEpoch);
        Assert.Equal(RaftRecordType.LeaderChange, reopened.Read(0).Type);
        Assert.Equal("leader", Text(reopened.Read(0)));
        Assert.Equal("v2", Text(reopened.Read(2)));
        Assert.Equal(new OffsetAndEpoch(2, 1), reopened.EndOffsetForEpoch(2));
        reopened.Append(Entry(3, 3));
        Assert.Equal(4, reopened.EndOffset);
    }

    [Theory]
    [InlineData(1)]   // a few bytes of the next batch header
    [InlineData(30)]  // mid header
    [InlineData(-3)]  // the last batch cut short
    public void A_torn_tail_is_cut_off_and_the_log_continues_after_the_last_whole_entry(int tear)
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            for (var i = 0; i < 5; i++)
            {
                log.Append(Entry(i, 1));
            }
            log.Flush();
        }
        var segment = Directory.GetFiles(_dir, "*.log").Single();
        var bytes = File.ReadAllBytes(segment);
        if (tear > 0)
        {
            File.WriteAllBytes(segment, [.. bytes, .. new byte[tear].Select((_, i) => (byte)(i + 7))]);
        }
        else
        {
            File.WriteAllBytes(segment, bytes[..^(-tear)]);
        }
        using (var recovered = FileRaftLog.Open(_dir))
        {
            Assert.True(recovered.RecoveredTornBytes > 0);
            var expectedEnd = tear > 0 ? 5 : 4;
            Assert.Equal(expectedEnd, recovered.EndOffset);
            recovered.Append(Entry(expectedEnd, 2, "after"));
            recovered.Flush();
        }
        using var again = FileRaftLog.Open(_dir);
        Assert.Equal(0, again.RecoveredTornBytes);
        Assert.Equal("after", Text(again.Read(again.EndOffset - 1)));
    }

    [Fact]
    public void A_corrupted_batch_ends_the_log_there()
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            for (var i = 0; i < 4; i++)
            {
                log.Append(Entry(i, 1, new string('x', 100)));
            }
            log.Flush();
        }
        var segment = Directory.GetFiles(_dir, "*.log").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^10] ^= 0xFF; // inside the last entry's value: its CRC fails
        File.WriteAllBytes(segment, bytes);
        using var recovered = FileRaftLog.Open(_dir);
        Assert.Equal(3, recovered.EndOffset);
    }

    [Fact]
    public void Truncation_is_durable()
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            for (var i = 0; i < 6; i++)
            {
                log.Append(Entry(i, i < 3 ? 1 : 2));
            }
            log.Flush();
            log.TruncateTo(3);
            Assert.Equal(3, log.EndOffset);
            Assert.Equal(1, log.LastEpoch);
            log.Append(Entry(3, 4, "new"));
            log.Flush();
        }
        using var reopened = FileRaftLog.Open(_dir);
        Assert.Equal(4, reopened.EndOffset);
        Assert.Equal(4, reopened.LastEpoch);
        Assert.Equal("new", Text(reopened.Read(3)));
    }

    [Fact]
    public void Snapshots_delete_the_log_behind_them_and_survive_reopen()
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            for (var i = 0; i < 10; i++)
            {
                log.Append(Entry(i, i < 5 ? 1 : 2));
            }
            log.Flush();
            log.CreateSnapshot(new RaftSnapshot(new OffsetAndEpoch(7, 2), new byte[] { 1, 2, 3 }));
            Assert.Equal(7, log.LogStartOffset);
            Assert.Throws<ArgumentOutOfRangeException>(() => log.Read(6));
            Assert.Equal("v8", Text(log.Read(8)));
            log.Append(Entry(10, 2));
        }
        Assert.Single(Directory.GetFiles(_dir, "*.checkpoint"), f => Path.GetFileName(f) == "00000000000000000007-0000000002.checkpoint");
        Assert.Single(Directory.GetFiles(_dir, "*.log"), f => Path.GetFileName(f) == "00000000000000000007.log");
        using var reopened = FileRaftLog.Open(_dir);
        Assert.Equal(7, reopened.LogStartOffset);
        Assert.Equal(11, reopened.EndOffset);
        Assert.Equal(new OffsetAndEpoch(7, 2), reopened.LatestSnapshot!.Id);
        Assert.Equal(new byte[] { 1, 2, 3 }, reopened.LatestSnapshot.Data.ToArray());
        Assert.Equal(new OffsetAndEpoch(7, 2), reopened.EndOffsetForEpoch(1));
    }

    [Fact]
    public void Installing_a_snapshot_replaces_the_log()
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            log.Append(Entry(0, 1));
            log.Append(Entry(1, 1));
            log.Flush();
            log.InstallSnapshot(new RaftSnapshot(new OffsetAndEpoch(50, 3), new byte[] { 9 }));
            Assert.Equal(50, log.LogStartOffset);
            Assert.Equal(50, log.EndOffset);
            Assert.Equal(3, log.LastEpoch);
            log.Append(Entry(50, 3));
            log.Flush();
        }
        using var reopened = FileRaftLog.Open(_dir);
        Assert.Equal(50, reopened.LogStartOffset);
        Assert.Equal(51, reopened.EndOffset);
    }

    [Fact]
    public void A_crash_between_writing_a_snapshot_and_rewriting_the_segment_recovers_either_way()
    {
        // CreateSnapshot interrupted: the checkpoint exists, the old segment still starts at 0.
        using (var log = FileRaftLog.Open(_dir))
        {
            for (var i = 0; i < 6; i++)
            {
                log.Append(Entry(i, 1));
            }
            log.Flush();
        }
        File.WriteAllBytes(Path.Combine(_dir, "00000000000000000004-0000000001.checkpoint"), [7]);
        using (var recovered = FileRaftLog.Open(_dir))
        {
            Assert.Equal(4, recovered.LogStartOffset);
            Assert.Equal(6, recovered.EndOffset); // entries above the snapshot agree with it: kept
        }
        // InstallSnapshot interrupted: a snapshot from another history (epoch 5 at offset 5) beside our segment.
        File.WriteAllBytes(Path.Combine(_dir, "00000000000000000005-0000000005.checkpoint"), [8]);
        using var installed = FileRaftLog.Open(_dir);
        Assert.Equal(5, installed.LogStartOffset);
        Assert.Equal(5, installed.EndOffset);
        Assert.Equal(5, installed.LastEpoch);
    }
}
