using System.Text.Json;
using Broker.Actors.Configs;
using Broker.Actors.Metadata;
using Broker.Protocol.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Broker.Host.Management;

// Partition administration (Kafka's kafka-reassign-partitions / kafka-leader-election through the management
// endpoint): the same controller calls as AlterPartitionReassignments, ListPartitionReassignments and ElectLeaders,
// forwarded to the active controller by the node's ForwardingController. Status codes: 403 while
// management.http.allow-state-changes is off (changes only), 404 for a topic or partition this node's image lacks
// (or the controller does not know), 400 for a malformed body or INVALID_REPLICA_ASSIGNMENT, 409 for other refusals
// (ELECTION_NOT_NEEDED, NO_REASSIGNMENT_IN_PROGRESS, ...), each with Kafka's error name; 503 while no active
// controller answers.
public sealed partial class ManagementServer
{
    private static void MapPartitionRoutes(IEndpointRouteBuilder app, BrokerNode node)
    {
        app.MapGet("/cluster/reassignments", () => ControllerCallAsync(async () =>
        {
            var ongoing = await node.Controller.ListPartitionReassignmentsAsync(null).ConfigureAwait(false);
            return Results.Json(new ReassignmentsView([.. ongoing.Select(o =>
                new ReassignmentView(o.Topic, o.Partition, o.Replicas, o.AddingReplicas, o.RemovingReplicas))]), Json);
        }));
        app.MapPost("/cluster/partitions/{topic}/{partition:int}/reassign", (string topic, int partition, HttpRequest request) =>
            ReassignAsync(node, topic, partition, request));
        app.MapPost("/cluster/elect-leaders", (HttpRequest request) => ElectLeadersAsync(node, request));
    }

    /// <summary>Body <c>{"replicas": [2, 3]}</c> starts (or changes) a move, the first replica being the preferred
    /// leader; <c>{"replicas": null}</c> cancels the move in progress. 202 once the controller accepted a move
    /// (it completes when the added replicas are in sync), 200 for a cancel.</summary>
    private static async Task<IResult> ReassignAsync(BrokerNode node, string topic, int partition, HttpRequest request)
    {
        if (Forbidden(node, "reassign") is { } forbidden)
        {
            return forbidden;
        }
        if (UnknownPartition(node, topic, partition) is { } unknown)
        {
            return unknown;
        }
        var (body, malformed) = await ReadBodyAsync(request).ConfigureAwait(false);
        using var _ = body;
        if (malformed || body is null || body.RootElement.ValueKind != JsonValueKind.Object || !body.RootElement.TryGetProperty("replicas", out var replicasJson)
            || replicasJson.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
        {
            return BadRequest("the body must be {\"replicas\": [broker ids]} to move, or {\"replicas\": null} to cancel");
        }
        List<int>? replicas = null;
        if (replicasJson.ValueKind == JsonValueKind.Array)
        {
            replicas = [];
            foreach (var id in replicasJson.EnumerateArray())
            {
                if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out var broker))
                {
                    return BadRequest($"replica '{id}' is not a broker id");
                }
                replicas.Add(broker);
            }
        }
        return await ControllerCallAsync(async () =>
        {
            var results = await node.Controller.AlterPartitionReassignmentsAsync(
                [new TopicReassignment(topic, [new PartitionReassignment(partition, replicas)])]).ConfigureAwait(false);
            var result = results.SelectMany(t => t.Partitions).Single();
            if (result.ErrorCode != 0)
            {
                return Refused((ErrorCode)result.ErrorCode, $"{topic}-{partition}: {result.ErrorMessage}");
            }
            return replicas is null
                ? Results.Json(new ManagementMessage($"reassignment of {topic}-{partition} cancelled"), Json)
                : Results.Json(new ManagementMessage($"reassignment of {topic}-{partition} to [{string.Join(',', replicas)}] started"), Json,
                    statusCode: StatusCodes.Status202Accepted);
        }).ConfigureAwait(false);
    }

    /// <summary>A preferred-replica election. Body (optional): <c>{"topic": "t"}</c> for every partition of t,
    /// <c>{"topic": "t", "partition": 0}</c> for one; none for every partition of the cluster (those already led
    /// by their preferred replica are then left out, as Kafka does). 200 when something was elected or nothing
    /// needed it; when every named partition was refused, the first refusal's status and Kafka error.</summary>
    private static async Task<IResult> ElectLeadersAsync(BrokerNode node, HttpRequest request)
    {
        if (Forbidden(node, "elect-leaders") is { } forbidden)
        {
            return forbidden;
        }
        var (body, malformed) = await ReadBodyAsync(request).ConfigureAwait(false);
        using var _ = body;
        string? topic = null;
        int? partition = null;
        if (malformed)
        {
            return BadRequest("the body is not JSON");
        }
        if (body is not null)
        {
            var root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || (root.TryGetProperty("topic", out var t) && t.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                || (root.TryGetProperty("partition", out var p) && p.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null)))
            {
                return BadRequest("the body must be {\"topic\": name, \"partition\": index} (both optional)");
            }
            topic = root.TryGetProperty("topic", out t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (root.TryGetProperty("partition", out p) && p.ValueKind == JsonValueKind.Number)
            {
                if (!p.TryGetInt32(out var index))
                {
                    return BadRequest($"partition '{p}' is not a partition index");
                }
                partition = index;
            }
        }
        List<TopicPartitions>? partitions = null;
        if (partition is not null && topic is null)
        {
            return BadRequest("a partition needs its topic");
        }
        if (topic is not null)
        {
            if (node.Metadata.Current.Topic(topic) is not { } image)
            {
                return NotFound($"topic {topic} does not exist");
            }
            if (partition is { } index && UnknownPartition(node, topic, index) is { } unknown)
            {
                return unknown;
            }
            partitions = [new TopicPartitions(topic, partition is { } one ? [one] : [.. image.Partitions.Select(x => x.Partition)])];
        }
        return await ControllerCallAsync(async () =>
        {
            var results = await node.Controller.ElectLeadersAsync(ElectionType.Preferred, partitions).ConfigureAwait(false);
            var outcomes = results
                .SelectMany(t => t.Partitions.Select(r => (t.Topic, Result: r)))
                .OrderBy(o => o.Topic, StringComparer.Ordinal).ThenBy(o => o.Result.Partition)
                .ToList();
            var refused = outcomes.Where(o => o.Result.ErrorCode != 0).ToList();
            if (refused.Count > 0 && refused.Count == outcomes.Count)
            {
                var (firstTopic, first) = refused[0];
                // The controller's message for these is often just the error's name, which the answer starts with.
                var message = refused.Count == 1
                    ? $"{firstTopic}-{first.Partition}" + (first.ErrorMessage is { Length: > 0 } why && why != ((ErrorCode)first.ErrorCode).Name() ? $": {why}" : "")
                    : "no leader elected: " + string.Join(", ", refused.Select(o => $"{o.Topic}-{o.Result.Partition} {((ErrorCode)o.Result.ErrorCode).Name()}"));
                return Refused((ErrorCode)first.ErrorCode, message);
            }
            return Results.Json(new ElectionsView(outcomes.Count - refused.Count, [.. outcomes.Select(o => new ElectionResultView(o.Topic, o.Result.Partition,
                o.Result.ErrorCode == 0 ? null : ((ErrorCode)o.Result.ErrorCode).Name(), o.Result.ErrorCode == 0 ? null : o.Result.ErrorMessage))]), Json);
        }).ConfigureAwait(false);
    }

    /// <summary>The answer to a controller refusal: Kafka's error name first in the message.</summary>
    private static IResult Refused(ErrorCode error, string message)
    {
        var status = error switch
        {
            ErrorCode.UnknownTopicOrPartition => StatusCodes.Status404NotFound,
            ErrorCode.InvalidReplicaAssignment or ErrorCode.InvalidRequest => StatusCodes.Status400BadRequest,
            ErrorCode.NotController => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status409Conflict,
        };
        return Results.Json(new PartitionAdminError(error.Name(), $"{error.Name()}: {message}"), Json, statusCode: status);
    }

    /// <summary>Runs a call that goes to the active controller; 503 when none answered (within the forwarding
    /// timeout, shorter than brokerctl's) or the connection to it failed.</summary>
    private static async Task<IResult> ControllerCallAsync(Func<Task<IResult>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerUnreachable(e))
        {
            return Results.Json(new PartitionAdminError(ErrorCode.NotController.Name(), $"the active controller is unreachable: {e.Message}"), Json,
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>A forwarded controller call found no active controller: it resigned, timed out, or its connection failed.</summary>
    private static bool ControllerUnreachable(Exception e) =>
        e is NotControllerException or Network.Client.NodeConnectionException or TimeoutException or IOException;

    /// <summary>403 for a state-changing route while management.http.allow-state-changes is off.</summary>
    private static IResult? Forbidden(BrokerNode node, string operation) =>
        node.Settings.ManagementHttpAllowStateChanges ? null
        : Results.Json(new ManagementMessage($"{operation} is disabled: set {BrokerConfigs.ManagementHttpAllowStateChanges}=true"), Json,
            statusCode: StatusCodes.Status403Forbidden);

    private static IResult? UnknownPartition(BrokerNode node, string topic, int partition) =>
        node.Metadata.Current.Topic(topic) is not { } image ? NotFound($"topic {topic} does not exist")
        : !image.Partitions.Any(p => p.Partition == partition) ? NotFound($"partition {topic}-{partition} does not exist")
        : null;

    private static IResult NotFound(string message) =>
        Results.Json(new PartitionAdminError(ErrorCode.UnknownTopicOrPartition.Name(), $"{ErrorCode.UnknownTopicOrPartition.Name()}: {message}"), Json,
            statusCode: StatusCodes.Status404NotFound);

    private static IResult BadRequest(string message) =>
        Results.Json(new PartitionAdminError(ErrorCode.InvalidRequest.Name(), $"{ErrorCode.InvalidRequest.Name()}: {message}"), Json,
            statusCode: StatusCodes.Status400BadRequest);

    /// <summary>The JSON body (null when there is none), or malformed when it is not JSON.</summary>
    private static async Task<(JsonDocument? Body, bool Malformed)> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, false);
        }
        try
        {
            return (JsonDocument.Parse(text), false);
        }
        catch (JsonException)
        {
            return (null, true);
        }
    }
}
