namespace Broker.Actors.Raft;

// Observers (process.roles = broker): members that replicate the log without voting. One that does not
// know the leader asks the voters in turn, as Kafka's observers fetch from the bootstrap servers: any
// answer naming the leader of the current (or a newer) epoch makes it follow that leader.
public sealed partial class RaftCore
{
    private int _discoveryIndex;

    /// <summary>Whether this member only observes (it is not in the voter set).</summary>
    public bool IsObserver => !_config.IsVoter(NodeId);

    private void DiscoverLeader()
    {
        if (Role == RaftRole.Follower)
        {
            // The leader went silent for the fetch timeout: forget it and look for the current one.
            LeaveRole();
            Persist(Epoch, -1, VotedId);
            Role = RaftRole.Unattached;
        }
        _electionDeadlineMs = _now + _config.RequestTimeoutMs;
        if (_config.Voters.Count == 0)
        {
            return;
        }
        var voter = _config.Voters[_discoveryIndex++ % _config.Voters.Count];
        // MaxWaitMs 0: the leader answers at once instead of parking the fetch.
        SendRequest(voter, new FetchRequest(_config.ClusterId, NodeId, 0, Epoch, _log.EndOffset, _log.LastEpoch, _log.LogStartOffset));
    }
}
