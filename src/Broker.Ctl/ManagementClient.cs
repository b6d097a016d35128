using System.Net.Http;
using System.Text.Json;

namespace Broker.Ctl;

/// <summary>An error the management endpoint answered (status and its message).</summary>
public sealed class ManagementException(string message) : Exception(message);

/// <summary>GET/POST against the management endpoint; non-2xx answers become <see cref="ManagementException"/>.</summary>
internal sealed class ManagementClient(HttpClient http)
{
    public async Task<JsonElement> GetAsync(string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative)).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        EnsureSuccess(response, path, body);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    public async Task<string> PostAsync(string path)
    {
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content: null).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        EnsureSuccess(response, path, body);
        return MessageOf(body) ?? $"{path}: {(int)response.StatusCode}";
    }

    /// <summary>POSTs a JSON body; the answer's JSON (an empty object when it has none).</summary>
    public async Task<JsonElement> PostJsonAsync(string path, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        EnsureSuccess(response, path, body);
        using var doc = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
        return doc.RootElement.Clone();
    }

    private static void EnsureSuccess(HttpResponseMessage response, string path, string body)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new ManagementException($"{path}: {(int)response.StatusCode} {response.ReasonPhrase}: {MessageOf(body) ?? body.Trim()}");
        }
    }

    private static string? MessageOf(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
