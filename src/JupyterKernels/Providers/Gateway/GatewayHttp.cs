using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using JupyterKernels.Messaging;
using JupyterKernels.Transport.Tcp;

namespace JupyterKernels.Providers.Gateway;

/// <summary>One HTTP answer, already read (bodies of the REST API are small).</summary>
internal readonly record struct GatewayResponse(HttpStatusCode Status, string? ContentType, byte[] Body, Uri? Location)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;
}

/// <summary>
/// The transport under <see cref="GatewayClient"/>: one SocketsHttpHandler (TLS, client certificate, connect timeout)
/// shared by REST calls and WebSocket upgrades, the auth headers, per-request timeouts and error mapping. On Linux its
/// sockets re-arm TCP_QUICKACK after every read (<see cref="QuickAckConnector"/>): without that, a reply the server
/// writes as several frames waits ~40 ms for our delayed ACK. Their reads also resume on the connection's own
/// thread rather than through the thread pool (<see cref="QuickAckSocketStream"/>).
/// </summary>
internal sealed class GatewayHttp : IDisposable
{
    private const int MaxBodyBytes = 64 * 1024 * 1024;
    private readonly SocketsHttpHandler _handler;
    private readonly HttpMessageInvoker _invoker;
    private readonly string _xsrf = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    public GatewayHttp(string providerName, GatewayOptions options)
    {
        ProviderName = providerName;
        Options = options;
        _handler = CreateHandler(options, providerName);
        QuickAck = QuickAckConnector.InstallOn(_handler, rearm: options.TcpQuickAck);
        _invoker = new HttpMessageInvoker(_handler, disposeHandler: false);
    }

    public string ProviderName { get; }
    public GatewayOptions Options { get; }
    internal HttpMessageInvoker Invoker => _invoker;
    /// <summary>The connector that opens this stack's sockets (null where TCP_QUICKACK does not exist: the handler's default).</summary>
    internal QuickAckConnector? QuickAck { get; }

    private static SocketsHttpHandler CreateHandler(GatewayOptions options, string provider)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            UseCookies = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        };
        var ssl = handler.SslOptions;
        if (!options.ValidateCertificate)
        {
            ssl.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (!string.IsNullOrEmpty(options.CaCertsPath))
        {
            var roots = new X509Certificate2Collection();
            try { roots.ImportFromPemFile(options.CaCertsPath); }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
            {
                throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument,
                    $"Provider '{provider}': cannot read the CA bundle '{options.CaCertsPath}': {e.Message}", provider, e);
            }
            ssl.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (errors == SslPolicyErrors.None) return true;
                if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || certificate is null) return false;
                using var custom = new X509Chain();
                custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                custom.ChainPolicy.CustomTrustStore.AddRange(roots);
                custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return custom.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
            };
        }
        if (!string.IsNullOrEmpty(options.ClientCertPath))
        {
            try
            {
                var cert = X509Certificate2.CreateFromPemFile(options.ClientCertPath, options.ClientKeyPath);
                ssl.ClientCertificates = new X509CertificateCollection { cert };
            }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
            {
                throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument,
                    $"Provider '{provider}': cannot load the client certificate '{options.ClientCertPath}': {e.Message}", provider, e);
            }
        }
        return handler;
    }

    /// <summary>The headers every request and WebSocket upgrade carries (auth, extra headers).</summary>
    public IEnumerable<KeyValuePair<string, string>> CommonHeaders()
    {
        foreach (var h in Options.Headers) yield return h;
        if (!string.IsNullOrEmpty(Options.Token))
            yield return new(Options.AuthHeaderKey, $"{Options.AuthScheme} {Options.Token}");
        else if (!string.IsNullOrEmpty(Options.HttpUser))
            yield return new("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Options.HttpUser}:{Options.HttpPassword}")));
    }

    public Uri Resolve(string relative) => new(Options.BaseUrl, relative.TrimStart('/'));

    /// <summary>Sends one request and reads the whole answer within <paramref name="timeout"/> (default: RequestTimeout).
    /// Transport failures become ProviderUnreachable / ProviderTimeout; HTTP statuses are returned, not thrown.</summary>
    public async Task<GatewayResponse> SendAsync(HttpMethod method, string relativePath, byte[]? jsonBody, string operation, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var effectiveTimeout = timeout ?? Options.RequestTimeout;
        using var request = new HttpRequestMessage(method, Resolve(relativePath));
        foreach (var (k, v) in CommonHeaders()) request.Headers.TryAddWithoutValidation(k, v);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (method != HttpMethod.Get && method != HttpMethod.Head && Options.SendXsrfPair && string.IsNullOrEmpty(Options.Token))
        {
            request.Headers.TryAddWithoutValidation("Cookie", "_xsrf=" + _xsrf);
            request.Headers.TryAddWithoutValidation("X-XSRFToken", _xsrf);
        }
        if (jsonBody is not null)
            request.Content = new ByteArrayContent(jsonBody)
            { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        else if (method == HttpMethod.Post)
            request.Content = new ByteArrayContent("{}"u8.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(effectiveTimeout);
        try
        {
            using var response = await _invoker.SendAsync(request, timeoutCts.Token).ConfigureAwait(false);
            var body = await ReadBodyAsync(response, timeoutCts.Token).ConfigureAwait(false);
            return new GatewayResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response.Headers.Location);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw GatewayErrors.Timeout(ProviderName, operation, effectiveTimeout);
        }
        catch (HttpRequestException e)
        {
            throw GatewayErrors.Scrub(GatewayErrors.Transport(ProviderName, operation, e), Options);
        }
        catch (IOException e)
        {
            throw GatewayErrors.Scrub(GatewayErrors.Transport(ProviderName, operation, e), Options);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is > MaxBodyBytes)
            throw new HttpRequestException($"response too large ({response.Content.Headers.ContentLength} bytes)");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var memory = new MemoryStream();
        var buffer = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (memory.Length + read > MaxBodyBytes) throw new HttpRequestException("response too large");
            memory.Write(buffer, 0, read);
        }
        return memory.ToArray();
    }

    /// <summary>Raises the mapped error for a non-success answer.</summary>
    public KernelException Error(GatewayResponse response, string operation, bool kernelRequest = false, string? kernelId = null)
        => GatewayErrors.Scrub(GatewayErrors.FromStatus(ProviderName, operation, response.Status, response.ContentType, response.Body, kernelRequest, kernelId, Options.MissingTokenHint), Options);

    /// <summary>Parses a success body as JSON; HTML or truncated JSON become ProviderResponseInvalid.</summary>
    public JsonDocument ParseJson(GatewayResponse response, string operation)
    {
        var body = response.Body.AsSpan().TrimStart(" \t\r\n"u8);
        if (body.IsEmpty)
            throw GatewayErrors.InvalidResponse(ProviderName, operation, response.Status, response.ContentType, "the body is empty");
        if (body[0] == (byte)'<' || response.ContentType?.Contains("html", StringComparison.OrdinalIgnoreCase) == true)
            throw GatewayErrors.InvalidResponse(ProviderName, operation, response.Status, response.ContentType, "expected JSON but got an HTML page");
        try
        {
            return JsonDocument.Parse(response.Body, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            // The reader says where it stopped (at the end of the body for a truncated one).
            var why = e.BytePositionInLine is not null && body.Length > 0
                ? $"the JSON is truncated or invalid ({body.Length} bytes, error at line {e.LineNumber + 1}, byte {e.BytePositionInLine})"
                : "the JSON is invalid";
            throw GatewayErrors.InvalidResponse(ProviderName, operation, response.Status, response.ContentType, why);
        }
    }

    /// <summary>Opens a WebSocket with the same TLS, certificate and auth settings as REST calls.</summary>
    public async Task<(ClientWebSocket Socket, HttpStatusCode? FailureStatus, Exception? Failure)> ConnectWebSocketAsync(Uri uri, bool offerV1, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = Options.WebSocketKeepAlive;
        foreach (var (k, v) in CommonHeaders()) socket.Options.SetRequestHeader(k, v);
        if (offerV1) socket.Options.AddSubProtocol(WebSocketV1Framing.SubProtocol);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(Options.ConnectTimeout + Options.RequestTimeout);
        try
        {
            await socket.ConnectAsync(uri, _invoker, timeoutCts.Token).ConfigureAwait(false);
            return (socket, null, null);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var status = socket.HttpStatusCode == 0 ? (HttpStatusCode?)null : socket.HttpStatusCode;
            socket.Dispose();
            return (socket, status, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _invoker.Dispose();
        _handler.Dispose();
    }
}
