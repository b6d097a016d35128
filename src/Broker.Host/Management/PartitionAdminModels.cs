namespace Broker.Host.Management;

/// <summary>One move in progress as <c>GET /cluster/reassignments</c> reports it (Kafka's ListPartitionReassignments):
/// the full replica set during the move, with the replicas it adds and removes.</summary>
public sealed record ReassignmentView(string Topic, int Partition, IReadOnlyList<int> Replicas, IReadOnlyList<int> AddingReplicas, IReadOnlyList<int> RemovingReplicas);

public sealed record ReassignmentsView(IReadOnlyList<ReassignmentView> Reassignments);

/// <summary>One partition's outcome of <c>POST /cluster/elect-leaders</c>: <see cref="Error"/> is null when a new
/// leader was elected, else Kafka's error name (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ...).</summary>
public sealed record ElectionResultView(string Topic, int Partition, string? Error, string? Message);

/// <summary>The body of a <c>POST /cluster/elect-leaders</c> that elected something (or found nothing to do).</summary>
public sealed record ElectionsView(int Elected, IReadOnlyList<ElectionResultView> Results);

/// <summary>A rejected partition request: Kafka's error name and a message that starts with it.</summary>
public sealed record PartitionAdminError(string Error, string Message);
