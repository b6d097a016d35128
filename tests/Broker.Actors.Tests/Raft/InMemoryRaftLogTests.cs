using Broker.Actors.Raft;

namespace Broker.Actors.Tests.Raft;

public sealed class InMemoryRaftLogTests
{
    private static InMemoryRaftLog LogWithEpochs(params int[] epochs)
    {
        var log = new InMemoryRaftLog();
        foreach (var epoch in epochs)
        {
            log.Append(new RaftEntry(log.EndOffset, epoch, RaftRecordType.Data, new byte[] { (byte)log.EndOffset }));
        }
        return log;
    }

    [Theory]
    [InlineData(0, 0, 0)] // before any epoch: the log start
    [InlineData(1, 2, 1)]
    [InlineData(2, 2, 1)] // no epoch 2: epoch 1 and where it ends
    [InlineData(3, 4, 3)]
    [InlineData(4, 4, 3)]
    [InlineData(5, 5, 5)]
    [InlineData(9, 5, 5)]
    public void EndOffsetForEpochFindsTheLargestEpochNotAboveAndItsEnd(int epoch, long endOffset, int foundEpoch)
    {
        var log = LogWithEpochs(1, 1, 3, 3, 5);
        Assert.Equal(new OffsetAndEpoch(endOffset, foundEpoch), log.EndOffsetForEpoch(epoch));
    }

    [Fact]
    public void EndOffsetForEpochBelowTheEntriesIsTheSnapshotBoundary()
    {
        var log = LogWithEpochs(1, 1, 3, 3, 5);
        log.CreateSnapshot(new RaftSnapshot(new OffsetAndEpoch(3, 3), new byte[] { 1 }));
        Assert.Equal(3, log.LogStartOffset);
        Assert.Equal(new OffsetAndEpoch(3, 3), log.EndOffsetForEpoch(1));
        Assert.Equal(new OffsetAndEpoch(4, 3), log.EndOffsetForEpoch(3));
        Assert.Equal(5, log.LastEpoch);
        Assert.Equal(3, log.Read(3).Epoch);
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Read(2));
    }

    [Fact]
    public void ACrashLosesOnlyWhatWasNotFlushed()
    {
        var log = LogWithEpochs(1, 1, 1);
        log.Flush();
        log.Append(new RaftEntry(3, 2, RaftRecordType.Data, ReadOnlyMemory<byte>.Empty));
        log.Append(new RaftEntry(4, 2, RaftRecordType.Data, ReadOnlyMemory<byte>.Empty));
        log.Crash(loseUnflushed: false);
        Assert.Equal(5, log.EndOffset);
        log.Append(new RaftEntry(5, 2, RaftRecordType.Data, ReadOnlyMemory<byte>.Empty));
        log.Crash(loseUnflushed: true);
        Assert.Equal(5, log.EndOffset);
        Assert.Equal(2, log.LastEpoch);
    }

    [Fact]
    public void TruncationIsDurableAndRecordedForTheChecker()
    {
        var log = LogWithEpochs(1, 1, 2, 2);
        log.Flush();
        log.TruncateTo(2);
        Assert.Equal(2, log.FlushedEndOffset);
        Assert.Equal(1, log.LastEpoch);
        Assert.Equal(2, log.TakeLowestTruncation());
        Assert.Equal(long.MaxValue, log.TakeLowestTruncation());
    }

    [Fact]
    public void AppendsMustBeDenseAndEpochsMustNotGoBack()
    {
        var log = LogWithEpochs(2);
        Assert.Throws<InvalidOperationException>(() => log.Append(new RaftEntry(5, 2, RaftRecordType.Data, default)));
        Assert.Throws<InvalidOperationException>(() => log.Append(new RaftEntry(1, 1, RaftRecordType.Data, default)));
    }

    [Fact]
    public void InstallingASnapshotReplacesTheWholeLog()
    {
        var log = LogWithEpochs(1, 1, 2);
        log.InstallSnapshot(new RaftSnapshot(new OffsetAndEpoch(10, 4), new byte[] { 9 }));
        Assert.Equal(10, log.LogStartOffset);
        Assert.Equal(10, log.EndOffset);
        Assert.Equal(4, log.LastEpoch);
        Assert.Equal(new OffsetAndEpoch(10, 4), log.EndOffsetForEpoch(4));
    }

    [Fact]
    public void LeaderChangeMessageRoundTripsAndRejectsLiesAboutLengths()
    {
        var bytes = LeaderChangeMessage.Encode(3, [1, 2, 3], [3, 1]);
        var message = LeaderChangeMessage.Decode(bytes);
        Assert.Equal(3, message.LeaderId);
        Assert.Equal([1, 2, 3], message.Voters);
        Assert.Equal([3, 1], message.GrantingVoters);
        bytes[9] = 200; // voters count far beyond the buffer
        Assert.Throws<FormatException>(() => LeaderChangeMessage.Decode(bytes));
    }
}
