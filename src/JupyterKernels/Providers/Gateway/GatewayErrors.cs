using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace JupyterKernels.Providers.Gateway;

/// <summary>Turns HTTP outcomes into <see cref="KernelException"/>s with stable ids. Messages carry the HTTP status,
/// the method and path, and the server's own message/reason; never a token, never a raw traceback.</summary>
internal static class GatewayErrors
{
    private const int MaxServerMessage = 400;

    public static KernelException FromStatus(string provider, string operation, HttpStatusCode status, string? contentType, ReadOnlySpan<byte> body, bool kernelRequest, string? kernelId,
        string? missingTokenHint = null)
    {
        var code = (int)status;
        var serverMessage = ServerMessage(contentType, body);
        var detail = serverMessage is null ? "" : $": {serverMessage}";
        var head = $"Provider '{provider}': {operation} failed with HTTP {code} ({status})";
        return code switch
        {
            401 or 403 => new KernelException(ErrorIds.ProviderAuthenticationFailed, KernelErrorCategory.AuthenticationError,
                missingTokenHint is not null ? $"{head}{detail}. {missingTokenHint}"
                    : $"{head}{detail}. Check the provider's token (and its auth scheme: 'token' or 'Bearer').", provider),
            404 when kernelRequest => new KernelException(ErrorIds.KernelNotFound, KernelErrorCategory.ObjectNotFound,
                $"{head}{detail}. The kernel no longer exists on the server.", kernelId ?? (object)provider),
            404 => new KernelException(ErrorIds.ProviderRequestFailed, KernelErrorCategory.ObjectNotFound,
                $"{head}{detail}. Check the provider URL and endpoints.", provider),
            408 or 504 => new KernelException(ErrorIds.ProviderTimeout, KernelErrorCategory.OperationTimeout, $"{head}{detail}.", provider),
            _ => new KernelException(ErrorIds.ProviderRequestFailed, code >= 500 ? KernelErrorCategory.ResourceUnavailable : KernelErrorCategory.InvalidOperation,
                $"{head}{detail}.", provider),
        };
    }

    public static KernelException InvalidResponse(string provider, string operation, HttpStatusCode status, string? contentType, string why)
        => new(ErrorIds.ProviderResponseInvalid, KernelErrorCategory.InvalidData,
            $"Provider '{provider}': {operation} returned HTTP {(int)status} with {(string.IsNullOrEmpty(contentType) ? "no content type" : contentType)}: {why}. "
            + (contentType?.Contains("html", StringComparison.OrdinalIgnoreCase) == true
                ? "An HTML page usually means a login page or a proxy: check the URL and token."
                : "Is this a Jupyter Server, Kernel Gateway or Enterprise Gateway?"),
            provider);

    public static KernelException Timeout(string provider, string operation, TimeSpan timeout)
        => new(ErrorIds.ProviderTimeout, KernelErrorCategory.OperationTimeout,
            $"Provider '{provider}': {operation} got no answer within {timeout.TotalSeconds:0.###} s.", provider);

    public static KernelException Transport(string provider, string operation, Exception e)
    {
        var socket = Find<SocketException>(e);
        var reason = socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused (is the server running?)",
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host name not found",
            SocketError.TimedOut => "connection timed out",
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
            SocketError.ConnectionReset => "connection reset by the server",
            null when Find<System.Security.Authentication.AuthenticationException>(e) is { } tls => "TLS handshake failed: " + tls.Message,
            null when e is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "the server closed the connection without an answer",
            _ => socket is not null ? socket.SocketErrorCode.ToString() : Innermost(e).Message,
        };
        return new KernelException(ErrorIds.ProviderUnreachable, KernelErrorCategory.ConnectionError,
            $"Provider '{provider}': {operation} failed: {reason}.", provider);
    }

    /// <summary>The server's "message"/"reason" from a JSON error body (JS, KG, EG all use these), shortened.
    /// Tracebacks are never included; HTML bodies give null.</summary>
    public static string? ServerMessage(string? contentType, ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty) return null;
        var trimmed = body.TrimStart(" \t\r\n"u8);
        if (trimmed.IsEmpty || trimmed[0] != (byte)'{') return null;
        try
        {
            var reader = new Utf8JsonReader(trimmed);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            var message = root.GetStringOrNullSafe("message");
            var reason = root.GetStringOrNullSafe("reason");
            var text = (message, reason) switch
            {
                (null, null) => null,
                (not null, null) => message,
                (null, not null) => reason,
                _ when message!.Contains(reason!, StringComparison.Ordinal) => message,
                _ => $"{message} ({reason})",
            };
            if (text is null) return null;
            text = text.ReplaceLineEndings(" ").Trim();
            return text.Length > MaxServerMessage ? text[..MaxServerMessage] + "…" : text;
        }
        catch (JsonException) { return null; }
    }

    private static string? GetStringOrNullSafe(this JsonElement e, string name)
        => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException) if (e is T t) return t;
        return null;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    /// <summary>Replaces any secret in <paramref name="text"/> (the safety net for text that came from elsewhere).</summary>
    public static string Scrub(string text, IEnumerable<string> secrets)
    {
        foreach (var s in secrets)
            if (s.Length > 0) text = text.Replace(s, "***", StringComparison.Ordinal);
        return text;
    }

    public static KernelException Scrub(KernelException e, GatewayOptions options)
    {
        var scrubbed = Scrub(e.Message, options.Secrets());
        return ReferenceEquals(scrubbed, e.Message) || scrubbed == e.Message ? e : new KernelException(e.ErrorId, e.Category, scrubbed, e.Target);
    }
}
