using System.Text.Json;

namespace Broker.Compat.Tests.Groups;

/// <summary>One record a member printed: where it came from and when.</summary>
public sealed record ConsumedRecord(string Member, int Partition, long Offset, string Value, long At);

/// <summary>A span of time a member held a partition (End is long.MaxValue while it still does).</summary>
public sealed record Ownership(string Member, int Partition, long Start, long End, int Generation);

/// <summary>
/// What the members of one group printed (the group_cli.py JSON lines), put together: who held which
/// partition when, which records each consumed and committed. The checks return violations as text
/// so a failing test shows every one of them.
/// </summary>
public sealed class GroupTimeline
{
    private readonly List<ConsumedRecord> _records = [];
    private readonly List<Ownership> _ownerships = [];
    private readonly Dictionary<string, HashSet<(int Partition, long Offset)>> _commits = new(StringComparer.Ordinal);
    private readonly List<(string Member, int Generation, int[] Partitions)> _fullAssignments = [];

    public IReadOnlyList<ConsumedRecord> Records => _records;

    public IReadOnlyList<Ownership> Ownerships => _ownerships;

    /// <summary>Adds one member's lines; <paramref name="endedAt"/> ends whatever it still held (a SIGKILL's time).</summary>
    public void Add(string member, IReadOnlyList<JsonElement> lines, long? endedAt = null)
    {
        var open = new Dictionary<int, (long Start, int Generation)>();
        var commits = _commits.TryGetValue(member, out var c) ? c : _commits[member] = [];
        foreach (var line in lines)
        {
            var t = line.GetProperty("t").GetInt64();
            switch (line.GetProperty("ev").GetString())
            {
                case "assign":
                    var gen = line.GetProperty("gen").GetInt32();
                    var parts = Parts(line);
                    if (!line.GetProperty("incremental").GetBoolean())
                    {
                        _fullAssignments.Add((member, gen, parts));
                    }
                    foreach (var p in parts)
                    {
                        open.TryAdd(p, (t, gen));
                    }
                    break;
                case "revoke":
                    foreach (var p in Parts(line))
                    {
                        if (open.Remove(p, out var o))
                        {
                            _ownerships.Add(new Ownership(member, p, o.Start, t, o.Generation));
                        }
                    }
                    break;
                case "closed":
                    Close(member, open, t);
                    break;
                case "rec":
                    _records.Add(new ConsumedRecord(member, line.GetProperty("p").GetInt32(), line.GetProperty("o").GetInt64(), line.GetProperty("v").GetString()!, t));
                    break;
                case "commit":
                    commits.Add((line.GetProperty("p").GetInt32(), line.GetProperty("o").GetInt64()));
                    break;
            }
        }
        Close(member, open, endedAt ?? long.MaxValue);
    }

    private void Close(string member, Dictionary<int, (long Start, int Generation)> open, long at)
    {
        foreach (var (p, o) in open)
        {
            _ownerships.Add(new Ownership(member, p, o.Start, at, o.Generation));
        }
        open.Clear();
    }

    private static int[] Parts(JsonElement line) => [.. line.GetProperty("parts").EnumerateArray().Select(e => e.GetInt32())];

    /// <summary>The partitions a member holds after the lines printed so far (for waiting on a rebalance).</summary>
    public static HashSet<int> Held(IReadOnlyList<JsonElement> lines)
    {
        var held = new HashSet<int>();
        foreach (var line in lines)
        {
            switch (line.GetProperty("ev").GetString())
            {
                case "assign":
                    held.UnionWith(Parts(line));
                    break;
                case "revoke":
                    held.ExceptWith(Parts(line));
                    break;
                case "closed":
                    held.Clear();
                    break;
            }
        }
        return held;
    }

    /// <summary>How many records a member has printed so far.</summary>
    public static int Consumed(IReadOnlyList<JsonElement> lines) => lines.Count(l => l.GetProperty("ev").GetString() == "rec");

    /// <summary>A partition's holders never overlap in time: each starts after the previous one gave it up.</summary>
    public List<string> OverlappingOwnerships()
    {
        var problems = new List<string>();
        foreach (var byPartition in _ownerships.GroupBy(o => o.Partition))
        {
            var spans = byPartition.OrderBy(o => o.Start).ThenBy(o => o.End).ToList();
            for (var i = 1; i < spans.Count; i++)
            {
                var (before, after) = (spans[i - 1], spans[i]);
                if (after.Start < before.End)
                {
                    problems.Add($"partition {after.Partition}: {after.Member} (gen {after.Generation}) from {after.Start} while {before.Member} (gen {before.Generation}) held it {before.Start}..{before.End}");
                }
            }
        }
        return problems;
    }

    /// <summary>Within one generation, the members' (full, eager) assignments are disjoint, and a member's generations only grow.</summary>
    public List<string> GenerationConflicts()
    {
        var problems = new List<string>();
        foreach (var byGeneration in _fullAssignments.Where(a => a.Generation >= 0).GroupBy(a => a.Generation))
        {
            var owner = new Dictionary<int, string>();
            foreach (var (member, _, parts) in byGeneration)
            {
                foreach (var p in parts)
                {
                    if (owner.TryGetValue(p, out var other) && other != member)
                    {
                        problems.Add($"generation {byGeneration.Key}: partition {p} assigned to {other} and {member}");
                    }
                    owner[p] = member;
                }
            }
        }
        foreach (var byMember in _fullAssignments.Where(a => a.Generation >= 0).GroupBy(a => a.Member))
        {
            var gens = byMember.Select(a => a.Generation).ToList();
            for (var i = 1; i < gens.Count; i++)
            {
                if (gens[i] <= gens[i - 1])
                {
                    problems.Add($"{byMember.Key}: generation {gens[i]} after {gens[i - 1]}");
                }
            }
        }
        return problems;
    }

    /// <summary>Every record was printed while its member held the partition.</summary>
    public List<string> RecordsOutsideOwnership() =>
        [.. _records
            .Where(r => !_ownerships.Any(o => o.Member == r.Member && o.Partition == r.Partition && o.Start <= r.At && r.At <= o.End))
            .Select(r => $"{r.Member} read {r.Partition}@{r.Offset} at {r.At} without holding the partition")];

    /// <summary>
    /// Records read more than once. Each is allowed only when an earlier read was by
    /// <paramref name="killed"/> and never committed: the at-least-once redelivery after a SIGKILL.
    /// </summary>
    public (List<string> Problems, int Redelivered) Duplicates(string? killed) => Duplicates(r => r.Member == killed);

    /// <summary>Records read more than once, each allowed only when an earlier read matching <paramref name="excusable"/> was never committed.</summary>
    public (List<string> Problems, int Redelivered) Duplicates(Func<ConsumedRecord, bool> excusable)
    {
        var problems = new List<string>();
        var redelivered = 0;
        foreach (var reads in _records.GroupBy(r => (r.Partition, r.Offset)).Where(g => g.Count() > 1))
        {
            var ordered = reads.OrderBy(r => r.At).ToList();
            for (var i = 0; i < ordered.Count - 1; i++)
            {
                var first = ordered[i];
                var excused = excusable(first) && !_commits[first.Member].Contains((first.Partition, first.Offset + 1));
                if (excused)
                {
                    redelivered++;
                }
                else
                {
                    problems.Add($"{first.Partition}@{first.Offset} read by {string.Join(", ", ordered.Select(r => $"{r.Member} at {r.At}"))}");
                }
            }
        }
        return (problems, redelivered);
    }

    /// <summary>The next offset a member committed last for each partition (from its "commit" lines, in order).</summary>
    public static Dictionary<int, long> LastCommits(IReadOnlyList<JsonElement> lines)
    {
        var last = new Dictionary<int, long>();
        foreach (var line in lines.Where(l => l.GetProperty("ev").GetString() == "commit"))
        {
            last[line.GetProperty("p").GetInt32()] = line.GetProperty("o").GetInt64();
        }
        return last;
    }

    /// <summary>The first offset a member read from each partition.</summary>
    public static Dictionary<int, long> FirstReads(IReadOnlyList<JsonElement> lines)
    {
        var first = new Dictionary<int, long>();
        foreach (var line in lines.Where(l => l.GetProperty("ev").GetString() == "rec"))
        {
            first.TryAdd(line.GetProperty("p").GetInt32(), line.GetProperty("o").GetInt64());
        }
        return first;
    }
}
