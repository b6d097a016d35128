using System.Globalization;
using System.Text.Json.Nodes;

namespace Broker.Ctl;

/// <summary>
/// <c>brokerctl partitions ...</c>: reassign a partition's replicas (or cancel the move), list the moves in progress,
/// and run a preferred-leader election, through the management endpoint's partition routes (which forward to the
/// active controller as Kafka's AlterPartitionReassignments, ListPartitionReassignments and ElectLeaders).
/// </summary>
internal static class PartitionCommands
{
    /// <summary>Runs one partitions command: its exit code, or a usage error (the reason) when the words are not one.
    /// Reassign and elect-leaders change the cluster: the broker refuses them (403) unless management.http.allow-state-changes.</summary>
    public static async Task<(int Code, string? UsageError)> RunAsync(ManagementClient client, IReadOnlyList<string> words, TextWriter stdout)
    {
        switch (words)
        {
            case ["partitions", "list-reassignments"]:
                Render.Reassignments(await client.GetAsync("/cluster/reassignments").ConfigureAwait(false), stdout);
                return (0, null);
            case ["partitions", "reassign", var topic, var partition, var target]:
            {
                if (!int.TryParse(partition, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    return (2, $"partition '{partition}' is not a number");
                }
                JsonArray? replicas = null;
                if (target != "--cancel")
                {
                    replicas = [];
                    foreach (var id in target.Split(','))
                    {
                        if (!int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var broker))
                        {
                            return (2, $"broker id '{id}' is not a number");
                        }
                        replicas.Add(broker);
                    }
                }
                var body = new JsonObject { ["replicas"] = replicas };
                var answer = await client.PostJsonAsync($"/cluster/partitions/{Uri.EscapeDataString(topic)}/{index}/reassign", body.ToJsonString()).ConfigureAwait(false);
                stdout.WriteLine(answer.TryGetProperty("message", out var m) ? m.GetString() : "ok");
                return (0, null);
            }
            case ["partitions", "elect-leaders", ..] when words.Count <= 4:
            {
                var body = new JsonObject();
                if (words.Count >= 3)
                {
                    body["topic"] = words[2];
                }
                if (words.Count == 4)
                {
                    if (!int.TryParse(words[3], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    {
                        return (2, $"partition '{words[3]}' is not a number");
                    }
                    body["partition"] = index;
                }
                Render.Elections(await client.PostJsonAsync("/cluster/elect-leaders", body.ToJsonString()).ConfigureAwait(false), stdout);
                return (0, null);
            }
            default:
                return (2, $"unknown command '{string.Join(' ', words)}'");
        }
    }
}
