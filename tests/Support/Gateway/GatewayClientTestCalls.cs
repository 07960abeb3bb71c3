using System.Globalization;
using System.Net;
using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Providers.Gateway;

/// <summary>GET /api/status.</summary>
internal sealed record GatewayStatus(DateTimeOffset? Started, DateTimeOffset? LastActivity, int Connections, int Kernels);

/// <summary>REST calls the provider never makes and the tests do (the server's version and status, one session
/// read, a session's rename): over the client's own <see cref="GatewayHttp"/>, with its errors.</summary>
internal static class GatewayClientTestCalls
{
    /// <summary>GET /api → the server's version string.</summary>
    public static async Task<string> GetVersionAsync(this GatewayClient client, CancellationToken cancellationToken)
    {
        const string op = "GET /api";
        using var doc = await GetJsonAsync(client, "api", op, cancellationToken).ConfigureAwait(false);
        return doc.RootElement.GetStringOrNull("version") ?? throw Invalid(client, op, "no 'version'");
    }

    public static async Task<GatewayStatus> GetStatusAsync(this GatewayClient client, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(client, "api/status", "GET /api/status", cancellationToken).ConfigureAwait(false);
        var e = doc.RootElement;
        return new(GatewayModels.ParseDate(e.GetStringOrNull("started")), GatewayModels.ParseDate(e.GetStringOrNull("last_activity")),
            e.GetInt32OrNull("connections") ?? 0, e.GetInt32OrNull("kernels") ?? 0);
    }

    /// <summary>GET /api/sessions/{id}; null on 404.</summary>
    public static async Task<RemoteSession?> GetSessionAsync(this GatewayClient client, string sessionId, CancellationToken cancellationToken)
    {
        var op = $"GET /api/sessions/{sessionId}";
        var response = await client.Http.SendAsync(HttpMethod.Get, "api/sessions/" + Uri.EscapeDataString(sessionId), null, op, cancellationToken).ConfigureAwait(false);
        if (response.Status == HttpStatusCode.NotFound && LooksLikeJsonOrEmpty(response)) return null;
        using var doc = Parse(client, response, op);
        return ParseSession(client, doc.RootElement, op);
    }

    /// <summary>PATCH /api/sessions/{id}: any of path/name/type, or a kernel id to attach.</summary>
    public static async Task<RemoteSession> UpdateSessionAsync(this GatewayClient client, string sessionId, string? path, string? name, string? type, string? kernelId, CancellationToken cancellationToken)
    {
        var op = $"PATCH /api/sessions/{sessionId}";
        var body = GatewayClient.Json(w =>
        {
            if (path is not null) w.WriteString("path", path);
            if (name is not null) w.WriteString("name", name);
            if (type is not null) w.WriteString("type", type);
            if (kernelId is not null)
            {
                w.WriteStartObject("kernel");
                w.WriteString("id", kernelId);
                w.WriteEndObject();
            }
        });
        var response = await client.Http.SendAsync(HttpMethod.Patch, "api/sessions/" + Uri.EscapeDataString(sessionId), body, op, cancellationToken).ConfigureAwait(false);
        using var doc = Parse(client, response, op);
        return ParseSession(client, doc.RootElement, op);
    }

    private static async Task<JsonDocument> GetJsonAsync(GatewayClient client, string path, string op, CancellationToken cancellationToken)
    {
        var response = await client.Http.SendAsync(HttpMethod.Get, path, null, op, cancellationToken).ConfigureAwait(false);
        return Parse(client, response, op);
    }

    private static JsonDocument Parse(GatewayClient client, GatewayResponse response, string op)
    {
        if (!response.IsSuccess) throw client.Http.Error(response, op);
        return client.Http.ParseJson(response, op);
    }

    private static RemoteSession ParseSession(GatewayClient client, JsonElement e, string op)
    {
        try { return GatewayModels.ParseSession(e); }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException) { throw Invalid(client, op, ex.Message); }
    }

    private static bool LooksLikeJsonOrEmpty(GatewayResponse response)
        => response.Body.AsSpan().TrimStart(" \t\r\n"u8) is var b && (b.IsEmpty || b[0] == (byte)'{');

    private static KernelException Invalid(GatewayClient client, string op, string why)
        => new(ErrorIds.ProviderResponseInvalid, KernelErrorCategory.InvalidData,
            $"Provider '{client.ProviderName}': {op} returned an unexpected answer: {why}.", client.ProviderName);
}
