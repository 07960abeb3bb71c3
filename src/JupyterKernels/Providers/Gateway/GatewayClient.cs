using System.Buffers;
using System.Net;
using System.Text.Json;

namespace JupyterKernels.Providers.Gateway;

/// <summary>
/// The REST API of a Jupyter Server / Kernel Gateway / Enterprise Gateway (jupyter_server GatewayClient semantics).
/// Every call is bounded by <see cref="GatewayOptions.RequestTimeout"/> and fails with a <see cref="KernelException"/>
/// (Provider* ids, KernelNotFound for a 404 on a kernel). Thread-safe; one per provider.
/// </summary>
internal sealed partial class GatewayClient : IDisposable
{
    private readonly GatewayHttp _http;

    public GatewayClient(string providerName, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = new GatewayHttp(providerName, options);
    }

    public string ProviderName => _http.ProviderName;
    public GatewayOptions Options => _http.Options;
    internal GatewayHttp Http => _http;

    private string Kernels => Options.KernelsEndpoint.TrimEnd('/');
    private string KernelPath(string id) => $"{Kernels}/{Uri.EscapeDataString(id)}";

    /// <summary>The kernel's URL as shown to users (never with a token).</summary>
    public Uri KernelUrl(string remoteKernelId) => _http.Resolve(KernelPath(remoteKernelId));

    /// <summary>The channels WebSocket URL (with <c>?token=</c> only when <see cref="GatewayOptions.TokenInWebSocketQuery"/>): never log it.</summary>
    internal Uri ChannelsUrl(string remoteKernelId, string sessionId)
    {
        var wsBase = Options.EffectiveWebSocketUrl;
        var path = $"{KernelPath(remoteKernelId)}/channels".TrimStart('/');
        var query = "session_id=" + Uri.EscapeDataString(sessionId);
        if (Options.TokenInWebSocketQuery && !string.IsNullOrEmpty(Options.Token)) query += "&token=" + Uri.EscapeDataString(Options.Token);
        var baseText = wsBase.GetLeftPart(UriPartial.Path);
        if (!baseText.EndsWith('/')) baseText += "/";
        return new Uri(new Uri(baseText), path + "?" + query);
    }

    /// <summary>GET /api/kernelspecs (with <c>?user=</c> when a KERNEL_USERNAME is configured, for Enterprise Gateway).</summary>
    public async Task<RemoteKernelSpecs> GetKernelSpecsAsync(CancellationToken cancellationToken)
    {
        var path = Options.KernelSpecsEndpoint.TrimEnd('/');
        if (!string.IsNullOrEmpty(Options.KernelUsername)) path += "?user=" + Uri.EscapeDataString(Options.KernelUsername);
        const string op = "GET /api/kernelspecs";
        using var doc = await GetJsonAsync(path, op, cancellationToken).ConfigureAwait(false);
        try { return GatewayModels.ParseKernelSpecs(doc.RootElement); }
        catch (FormatException e) { throw Invalid(op, e.Message); }
    }

    /// <summary>GET /api/kernels; null when the server forbids listing (Kernel/Enterprise Gateway answer 403 by default).</summary>
    public async Task<IReadOnlyList<RemoteKernel>?> ListKernelsAsync(CancellationToken cancellationToken)
    {
        const string op = "GET /api/kernels";
        var response = await _http.SendAsync(HttpMethod.Get, Kernels, null, op, cancellationToken).ConfigureAwait(false);
        if (response.Status == HttpStatusCode.Forbidden)
        {
            // KG/EG forbid listing unless enabled; Jupyter Server answers 403 for a bad token. Tell them apart with a
            // call that needs the same credentials: if it succeeds, listing is merely disabled.
            var probe = await _http.SendAsync(HttpMethod.Get, Options.KernelSpecsEndpoint.TrimEnd('/'), null, "GET /api/kernelspecs", cancellationToken).ConfigureAwait(false);
            if (probe.IsSuccess) return null;
            throw _http.Error(response, op);
        }
        using var doc = Parse(response, op);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw Invalid(op, "expected a JSON array");
        return ParseList(doc.RootElement, GatewayModels.ParseKernel, op);
    }

    /// <summary>POST /api/kernels. <paramref name="kernelId"/> is sent as <c>kernel_id</c> (honoured by Jupyter Server ≥ the
    /// version with PR #1655; ignored by older ones, which choose their own id: compare the returned id).</summary>
    public async Task<RemoteKernel> StartKernelAsync(string? specName, IReadOnlyDictionary<string, string>? env, string? kernelId, string? path, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        const string op = "POST /api/kernels";
        var body = Json(w =>
        {
            if (specName is not null) w.WriteString("name", specName);
            if (path is not null) w.WriteString("path", path);
            if (kernelId is not null) w.WriteString("kernel_id", kernelId);
            if (env is not null)
            {
                w.WriteStartObject("env");
                foreach (var (k, v) in env) w.WriteString(k, v);
                w.WriteEndObject();
            }
        });
        var response = await _http.SendAsync(HttpMethod.Post, Kernels, body, op, cancellationToken, timeout).ConfigureAwait(false);
        using var doc = Parse(response, op);
        return ParseOne(doc.RootElement, GatewayModels.ParseKernel, op);
    }

    /// <summary>GET /api/kernels/{id}; KernelNotFound on 404.</summary>
    public async Task<RemoteKernel> GetKernelAsync(string remoteKernelId, CancellationToken cancellationToken)
        => await TryGetKernelAsync(remoteKernelId, cancellationToken).ConfigureAwait(false)
           ?? throw new KernelException(ErrorIds.KernelNotFound, KernelErrorCategory.ObjectNotFound,
               $"Provider '{ProviderName}': kernel {remoteKernelId} does not exist on the server (HTTP 404).", remoteKernelId);

    /// <summary>GET /api/kernels/{id}; null on a definite 404 from a reachable server.</summary>
    public async Task<RemoteKernel?> TryGetKernelAsync(string remoteKernelId, CancellationToken cancellationToken)
    {
        var op = $"GET /api/kernels/{remoteKernelId}";
        var response = await _http.SendAsync(HttpMethod.Get, KernelPath(remoteKernelId), null, op, cancellationToken).ConfigureAwait(false);
        if (response.Status == HttpStatusCode.NotFound && LooksLikeJsonOrEmpty(response)) return null;
        using var doc = Parse(response, op, kernelId: remoteKernelId);
        return ParseOne(doc.RootElement, GatewayModels.ParseKernel, op);
    }

    /// <summary>DELETE /api/kernels/{id}. Returns false when the kernel was already gone (404).</summary>
    public async Task<bool> DeleteKernelAsync(string remoteKernelId, CancellationToken cancellationToken)
    {
        var op = $"DELETE /api/kernels/{remoteKernelId}";
        var response = await _http.SendAsync(HttpMethod.Delete, KernelPath(remoteKernelId), null, op, cancellationToken).ConfigureAwait(false);
        if (response.Status == HttpStatusCode.NotFound && LooksLikeJsonOrEmpty(response)) return false;
        if (!response.IsSuccess) throw _http.Error(response, op, kernelRequest: true, remoteKernelId);
        return true;
    }

    public async Task InterruptKernelAsync(string remoteKernelId, CancellationToken cancellationToken)
    {
        var op = $"POST /api/kernels/{remoteKernelId}/interrupt";
        var response = await _http.SendAsync(HttpMethod.Post, KernelPath(remoteKernelId) + "/interrupt", null, op, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess) throw _http.Error(response, op, kernelRequest: true, remoteKernelId);
    }

    public async Task<RemoteKernel> RestartKernelAsync(string remoteKernelId, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var op = $"POST /api/kernels/{remoteKernelId}/restart";
        var response = await _http.SendAsync(HttpMethod.Post, KernelPath(remoteKernelId) + "/restart", null, op, cancellationToken, timeout).ConfigureAwait(false);
        using var doc = Parse(response, op, kernelId: remoteKernelId);
        return ParseOne(doc.RootElement, GatewayModels.ParseKernel, op);
    }

    // ---- sessions ------------------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<RemoteSession>> ListSessionsAsync(CancellationToken cancellationToken)
        => (await ListSessionsAsync(notFoundIsNone: false, cancellationToken).ConfigureAwait(false))!;

    /// <summary>GET /api/sessions; null when the server answers 404 (Kernel Gateway has no sessions API).</summary>
    public Task<IReadOnlyList<RemoteSession>?> TryListSessionsAsync(CancellationToken cancellationToken)
        => ListSessionsAsync(notFoundIsNone: true, cancellationToken);

    private async Task<IReadOnlyList<RemoteSession>?> ListSessionsAsync(bool notFoundIsNone, CancellationToken cancellationToken)
    {
        const string op = "GET /api/sessions";
        var response = await _http.SendAsync(HttpMethod.Get, "api/sessions", null, op, cancellationToken).ConfigureAwait(false);
        if (notFoundIsNone && response.Status == HttpStatusCode.NotFound) return null;
        using var doc = Parse(response, op);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw Invalid(op, "expected a JSON array");
        return ParseList(doc.RootElement, GatewayModels.ParseSession, op);
    }

    /// <summary>POST /api/sessions ("create or return" by path). Give <paramref name="kernelId"/> to attach a running
    /// kernel, else <paramref name="kernelName"/> to start one.</summary>
    public async Task<RemoteSession> CreateSessionAsync(string path, string name, string type, string? kernelName, string? kernelId, CancellationToken cancellationToken)
    {
        const string op = "POST /api/sessions";
        var body = Json(w =>
        {
            w.WriteString("path", path);
            w.WriteString("name", name);
            w.WriteString("type", type);
            w.WriteStartObject("kernel");
            if (kernelId is not null) w.WriteString("id", kernelId);
            if (kernelName is not null) w.WriteString("name", kernelName);
            w.WriteEndObject();
        });
        var response = await _http.SendAsync(HttpMethod.Post, "api/sessions", body, op, cancellationToken).ConfigureAwait(false);
        using var doc = Parse(response, op);
        return ParseOne(doc.RootElement, GatewayModels.ParseSession, op);
    }

    /// <summary>DELETE /api/sessions/{id}: false when it did not exist (404) or its kernel was already gone (410).</summary>
    public async Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        var op = $"DELETE /api/sessions/{sessionId}";
        var response = await _http.SendAsync(HttpMethod.Delete, "api/sessions/" + Uri.EscapeDataString(sessionId), null, op, cancellationToken).ConfigureAwait(false);
        if (response.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone) return false;
        if (!response.IsSuccess) throw _http.Error(response, op);
        return true;
    }

    // ---- kernelspec resources ------------------------------------------------------------------------------------

    /// <summary>Downloads one resource (a server-relative URL from <see cref="RemoteKernelSpec.Resources"/>, or
    /// <c>{resource endpoint}/{spec}/{file}</c>); null on 404.</summary>
    public async Task<byte[]?> GetResourceAsync(string serverRelativeUrl, CancellationToken cancellationToken)
    {
        // Resource URLs are built on the server's base_url; resolve them against our base URL's authority.
        var relative = serverRelativeUrl;
        var basePath = Options.BaseUrl.AbsolutePath;
        if (basePath.Length > 1 && relative.StartsWith(basePath, StringComparison.Ordinal)) relative = relative[basePath.Length..];
        if (relative.Contains("://", StringComparison.Ordinal) || relative.Contains("..", StringComparison.Ordinal))
            throw Invalid("GET resource", "resource URL is not a server-relative path");
        var op = $"GET {serverRelativeUrl}";
        var response = await _http.SendAsync(HttpMethod.Get, relative, null, op, cancellationToken).ConfigureAwait(false);
        if (response.Status == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccess) throw _http.Error(response, op);
        return response.Body;
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private async Task<JsonDocument> GetJsonAsync(string path, string op, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(HttpMethod.Get, path, null, op, cancellationToken).ConfigureAwait(false);
        return Parse(response, op);
    }

    private JsonDocument Parse(GatewayResponse response, string op, string? kernelId = null)
    {
        if (!response.IsSuccess) throw _http.Error(response, op, kernelRequest: kernelId is not null, kernelId);
        return _http.ParseJson(response, op);
    }

    private static bool LooksLikeJsonOrEmpty(GatewayResponse response)
        => response.Body.AsSpan().TrimStart(" \t\r\n"u8) is var b && (b.IsEmpty || b[0] == (byte)'{');

    private T ParseOne<T>(JsonElement e, Func<JsonElement, T> parse, string op)
    {
        try { return parse(e); }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException) { throw Invalid(op, ex.Message); }
    }

    private List<T> ParseList<T>(JsonElement array, Func<JsonElement, T> parse, string op)
    {
        var list = new List<T>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray()) list.Add(ParseOne(item, parse, op));
        return list;
    }

    private KernelException Invalid(string op, string why)
        => new(ErrorIds.ProviderResponseInvalid, KernelErrorCategory.InvalidData, $"Provider '{ProviderName}': {op} returned an unexpected answer: {why}.", ProviderName);

    internal static byte[] Json(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public void Dispose() => _http.Dispose();
}
