using System.Globalization;
using System.Text.Json;

namespace JupyterKernels.Providers.Gateway;

/// <summary>
/// How to reach one Jupyter Server / Kernel Gateway / Enterprise Gateway. Mirrors jupyter_server's GatewayClient
/// traits (and reads the same JUPYTER_GATEWAY_* variables). <see cref="ToString"/> never prints secrets.
/// </summary>
internal sealed record GatewayOptions
{
    public const string DefaultKernelsEndpoint = "/api/kernels";
    public const string DefaultKernelSpecsEndpoint = "/api/kernelspecs";
    public const string DefaultKernelSpecsResourceEndpoint = "/kernelspecs";

    /// <summary>http(s) base URL of the server (may include a base path, e.g. https://host/user/x/).</summary>
    public required Uri BaseUrl { get; init; }
    /// <summary>ws(s) base URL; default: <see cref="BaseUrl"/> with http→ws.</summary>
    public Uri? WebSocketUrl { get; init; }
    public string KernelsEndpoint { get; init; } = DefaultKernelsEndpoint;
    public string KernelSpecsEndpoint { get; init; } = DefaultKernelSpecsEndpoint;
    public string KernelSpecsResourceEndpoint { get; init; } = DefaultKernelSpecsResourceEndpoint;

    /// <summary>Secret. Sent as <c>{AuthHeaderKey}: {AuthScheme} {Token}</c>; never printed.</summary>
    public string? Token { get; init; }
    /// <summary>Why this process has no token although one was registered (unset variable, token kept by the registering
    /// process), and how to fix it: added to 401/403 errors. Null when nothing is missing.</summary>
    public string? MissingTokenHint { get; init; }
    /// <summary>"token" (Jupyter Server, KG, EG) or "Bearer".</summary>
    public string AuthScheme { get; init; } = "token";
    public string AuthHeaderKey { get; init; } = "Authorization";
    /// <summary>Also put <c>?token=</c> on the WebSocket URL (for proxies that drop the header on upgrade).</summary>
    public bool TokenInWebSocketQuery { get; init; }
    /// <summary>Basic auth (used only when no token is set); the user also becomes the default KERNEL_USERNAME.</summary>
    public string? HttpUser { get; init; }
    /// <summary>Secret; never printed.</summary>
    public string? HttpPassword { get; init; }
    /// <summary>Send a self-made <c>_xsrf</c> cookie + <c>X-XSRFToken</c> header on non-GET requests when not
    /// token-authenticated (Tornado compares the two; a token-authenticated request skips the check anyway).</summary>
    public bool SendXsrfPair { get; init; } = true;
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(40);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(42);
    /// <summary>KERNEL_LAUNCH_TIMEOUT sent with a start (null: the start request's timeout).</summary>
    public TimeSpan? LaunchTimeout { get; init; }
    /// <summary>Added to the launch timeout for the POST's own timeout (GatewayClient launch_timeout_pad).</summary>
    public TimeSpan LaunchTimeoutPad { get; init; } = TimeSpan.FromSeconds(2);

    public bool ValidateCertificate { get; init; } = true;
    /// <summary>PEM bundle of CAs trusted in addition to (custom trust: instead of) the system store.</summary>
    public string? CaCertsPath { get; init; }
    public string? ClientCertPath { get; init; }
    public string? ClientKeyPath { get; init; }

    /// <summary>Names of process environment variables forwarded at start besides KERNEL_* (allowed_envs).</summary>
    public IReadOnlyList<string> AllowedEnvs { get; init; } = Array.Empty<string>();
    /// <summary>KERNEL_USERNAME (default: <see cref="HttpUser"/>, else the OS user).</summary>
    public string? KernelUsername { get; init; }
    /// <summary>Send our kernel id (body <c>kernel_id</c> and env <c>KERNEL_ID</c> when it is a lowercase UUID).</summary>
    public bool SendClientKernelId { get; init; } = true;

    /// <summary>Offer <c>v1.kernel.websocket.jupyter.org</c>; false forces the legacy JSON framing.</summary>
    public bool OfferV1Protocol { get; init; } = true;
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryIntervalMax { get; init; } = TimeSpan.FromSeconds(30);
    public int RetryMax { get; init; } = 5;
    /// <summary>Reconnects refused in a row (nothing listens where the server was) after which a lost WebSocket is given
    /// up at once with ConnectionFailed instead of after every backoff; 0 waits through the whole backoff.</summary>
    public int RefusalsToGiveUp { get; init; } = 2;
    /// <summary>Messages held while the WebSocket reconnects; beyond that SendAsync fails (never silent loss).</summary>
    public int MaxQueuedMessages { get; init; } = 1000;
    /// <summary>Largest WebSocket message accepted (bigger ones are dropped with a MalformedMessage event).</summary>
    public int MaxMessageBytes { get; init; } = 256 * 1024 * 1024;
    public TimeSpan WebSocketKeepAlive { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How often an open WebSocket checks (GET by id) that its kernel still exists: Jupyter Server keeps the
    /// socket open after the kernel is deleted. Zero disables the check.</summary>
    public TimeSpan KernelPollInterval { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan KernelSpecCacheTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Re-arm TCP_QUICKACK after every read (Linux; see Transport/Tcp/QuickAckConnector). Off only to
    /// measure what it saves (bench/ remote).</summary>
    internal bool TcpQuickAck { get; init; } = true;

    /// <summary>WebSocket base URL actually used.</summary>
    public Uri EffectiveWebSocketUrl => WebSocketUrl ?? new UriBuilder(BaseUrl) { Scheme = BaseUrl.Scheme == "https" ? "wss" : "ws", Port = BaseUrl.Port }.Uri;

    public bool HasCredential => !string.IsNullOrEmpty(Token) || !string.IsNullOrEmpty(HttpPassword);

    /// <summary>Every secret this configuration holds (for scrubbing text before it leaves the library).</summary>
    internal IEnumerable<string> Secrets()
    {
        if (!string.IsNullOrEmpty(Token)) yield return Token;
        if (!string.IsNullOrEmpty(HttpPassword)) yield return HttpPassword;
        // Any header value may be a secret (X-Auth, X-Api-Key, ...): short ones excepted, which would only garble text.
        foreach (var value in Headers.Values) if (value.Length >= 8) yield return value;
    }

    public override string ToString()
        => $"GatewayOptions {{ BaseUrl = {BaseUrl}, AuthScheme = {AuthScheme}, Token = {(string.IsNullOrEmpty(Token) ? "(none)" : "***")}, HttpUser = {HttpUser ?? "(none)"} }}";

    /// <summary>Parses and checks a base URL: absolute http(s), no query, no user info. Throws ProviderInvalid.</summary>
    public static Uri ParseBaseUrl(string? url, string? providerName = null)
    {
        // A NUL or other control character would be escaped by Uri and saved; no server URL holds one: refuse it.
        if (url is not null && url.Any(char.IsControl))
            throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument,
                "A provider URL must not contain control characters (NUL, newline, ...).", providerName);
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(uri.Host))
            throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument,
                $"'{SafeUrlText(url)}' is not a valid provider URL: expected an absolute http:// or https:// URL such as http://127.0.0.1:8888/.",
                providerName);
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
            throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument,
                "A provider URL must not carry a query string or user info (pass the token separately, e.g. by environment variable name).",
                providerName);
        var text = uri.GetLeftPart(UriPartial.Path);
        if (!text.EndsWith('/')) text += "/";
        return new Uri(text);
    }

    private static string SafeUrlText(string? url)
    {
        if (url is null) return "";
        var q = url.IndexOfAny(['?', '#']);
        var shown = q >= 0 ? url[..q] + "?…" : url;
        var at = shown.IndexOf('@');
        if (at >= 0) shown = "…@" + shown[(at + 1)..];
        return shown.Length > 200 ? shown[..200] + "…" : shown;
    }

    /// <summary>The registration's headers: those given for this process, then those read now from the environment
    /// variables it names (an unset variable sends no header).</summary>
    private static IReadOnlyDictionary<string, string> ResolveHeaders(ProviderRegistration registration, Func<string, string?> getEnvironmentVariable)
    {
        if (registration.HeaderEnvironmentVariables.Count == 0) return registration.Headers;
        var headers = new Dictionary<string, string>(registration.Headers, StringComparer.OrdinalIgnoreCase);
        foreach (var (header, variable) in registration.HeaderEnvironmentVariables)
            if (getEnvironmentVariable(variable) is { Length: > 0 } value) headers[header] = value;
        return headers;
    }

    /// <summary>Builds options from a registration (the token comes from the registration, else from the variable it names).</summary>
    public static GatewayOptions FromRegistration(ProviderRegistration registration, Func<string, string?>? getEnvironmentVariable = null)
    {
        getEnvironmentVariable ??= Environment.GetEnvironmentVariable;
        var token = registration.Token;
        if (string.IsNullOrEmpty(token) && !string.IsNullOrEmpty(registration.TokenEnvironmentVariable))
            token = getEnvironmentVariable(registration.TokenEnvironmentVariable);
        var scheme = string.IsNullOrWhiteSpace(registration.AuthScheme) ? "token" : registration.AuthScheme.Trim();
        return new GatewayOptions
        {
            BaseUrl = ParseBaseUrl(registration.Url, registration.Name),
            Token = string.IsNullOrEmpty(token) ? null : token,
            MissingTokenHint = !string.IsNullOrEmpty(token) ? null : registration.MissingTokenHint(),
            AuthScheme = scheme,
            Headers = ResolveHeaders(registration, getEnvironmentVariable),
            RequestTimeout = registration.RequestTimeout ?? TimeSpan.FromSeconds(42),
            ConnectTimeout = registration.ConnectTimeout ?? TimeSpan.FromSeconds(40),
            LaunchTimeout = registration.LaunchTimeout,
            ValidateCertificate = registration.ValidateCertificate,
            CaCertsPath = registration.CaBundlePath,
            ClientCertPath = registration.ClientCertificatePath,
            AllowedEnvs = registration.EnvironmentAllowList,
        };
    }

    /// <summary>
    /// Builds options from the JUPYTER_GATEWAY_* variables jupyter_server's GatewayClient reads. Returns null when
    /// JUPYTER_GATEWAY_URL is unset. Throws ProviderInvalid for unparseable values (never echoing secrets).
    /// </summary>
    public static GatewayOptions? FromEnvironment(Func<string, string?>? getEnvironmentVariable = null)
    {
        getEnvironmentVariable ??= Environment.GetEnvironmentVariable;
        string? Get(string name) { var v = getEnvironmentVariable("JUPYTER_GATEWAY_" + name); return string.IsNullOrWhiteSpace(v) ? null : v.Trim(); }

        var url = Get("URL");
        if (url is null) return null;
        var options = new GatewayOptions { BaseUrl = ParseBaseUrl(url, "JUPYTER_GATEWAY_URL") };

        if (Get("WS_URL") is { } ws)
        {
            if (!Uri.TryCreate(ws, UriKind.Absolute, out var wsUri) || (wsUri.Scheme != "ws" && wsUri.Scheme != "wss"))
                throw Invalid("JUPYTER_GATEWAY_WS_URL", "an absolute ws:// or wss:// URL");
            options = options with { WebSocketUrl = wsUri };
        }
        if (Get("KERNELS_ENDPOINT") is { } ke) options = options with { KernelsEndpoint = ke };
        if (Get("KERNELSPECS_ENDPOINT") is { } kse) options = options with { KernelSpecsEndpoint = kse };
        if (Get("KERNELSPECS_RESOURCE_ENDPOINT") is { } kre) options = options with { KernelSpecsResourceEndpoint = kre };
        if (Get("AUTH_TOKEN") is { } token) options = options with { Token = token };
        if (Get("AUTH_SCHEME") is { } scheme) options = options with { AuthScheme = scheme };
        if (Get("AUTH_HEADER_KEY") is { } key) options = options with { AuthHeaderKey = key };
        if (Get("HTTP_USER") is { } user) options = options with { HttpUser = user };
        if (Get("HTTP_PWD") is { } pwd) options = options with { HttpPassword = pwd };
        if (Get("HEADERS") is { } headers) options = options with { Headers = ParseHeaders(headers) };
        if (Get("REQUEST_TIMEOUT") is { } rt) options = options with { RequestTimeout = Seconds(rt, "JUPYTER_GATEWAY_REQUEST_TIMEOUT") };
        if (Get("CONNECT_TIMEOUT") is { } ct) options = options with { ConnectTimeout = Seconds(ct, "JUPYTER_GATEWAY_CONNECT_TIMEOUT") };
        if (Get("LAUNCH_TIMEOUT_PAD") is { } pad) options = options with { LaunchTimeoutPad = Seconds(pad, "JUPYTER_GATEWAY_LAUNCH_TIMEOUT_PAD") };
        if (Get("VALIDATE_CERT") is { } vc) options = options with { ValidateCertificate = !(vc.Equals("no", StringComparison.OrdinalIgnoreCase) || vc.Equals("false", StringComparison.OrdinalIgnoreCase) || vc == "0") };
        if (Get("CA_CERTS") is { } ca) options = options with { CaCertsPath = ca };
        if (Get("CLIENT_CERT") is { } cc) options = options with { ClientCertPath = cc };
        if (Get("CLIENT_KEY") is { } ck) options = options with { ClientKeyPath = ck };
        var allowed = Get("ALLOWED_ENVS") ?? Get("ENV_WHITELIST");
        if (allowed is not null)
            options = options with { AllowedEnvs = allowed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
        if (Get("RETRY_INTERVAL") is { } ri) options = options with { RetryInterval = Seconds(ri, "JUPYTER_GATEWAY_RETRY_INTERVAL") };
        if (Get("RETRY_INTERVAL_MAX") is { } rim) options = options with { RetryIntervalMax = Seconds(rim, "JUPYTER_GATEWAY_RETRY_INTERVAL_MAX") };
        if (Get("RETRY_MAX") is { } rm)
        {
            if (!int.TryParse(rm, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 0) throw Invalid("JUPYTER_GATEWAY_RETRY_MAX", "a non-negative integer");
            options = options with { RetryMax = n };
        }
        // GatewayClient: KERNEL_LAUNCH_TIMEOUT (process env) is the launch timeout; request_timeout >= launch + pad.
        if (getEnvironmentVariable("KERNEL_LAUNCH_TIMEOUT") is { Length: > 0 } klt)
            options = options with { LaunchTimeout = Seconds(klt, "KERNEL_LAUNCH_TIMEOUT") };
        return options;
    }

    private static TimeSpan Seconds(string text, string name)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || s <= 0 || double.IsNaN(s) || double.IsInfinity(s) || s > 86400 * 7)
            throw Invalid(name, "a positive number of seconds");
        return TimeSpan.FromSeconds(s);
    }

    private static IReadOnlyDictionary<string, string> ParseHeaders(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Invalid("JUPYTER_GATEWAY_HEADERS", "a JSON object of header names to values");
            var dict = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in doc.RootElement.EnumerateObject())
                dict[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            return dict;
        }
        catch (JsonException)
        {
            // Header values may be secrets: do not echo the text.
            throw Invalid("JUPYTER_GATEWAY_HEADERS", "a JSON object of header names to values");
        }
    }

    private static KernelException Invalid(string name, string expected)
        => new(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument, $"{name} is not valid: expected {expected}.", name);
}
