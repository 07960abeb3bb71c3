using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace JupyterKernels.Providers;

/// <summary>
/// <c>jupyterkernels_providers.json</c> in the Jupyter config dir: the remote providers, without secrets: only the
/// NAMES of the environment variables holding the token and header values are kept (header values given directly
/// live for the registering process only: whether a header is a secret cannot be told from its name). Written
/// user-only (0600) and atomically (temp file + rename).
/// </summary>
internal static class ProvidersFile
{
    public const string FileName = "jupyterkernels_providers.json";

    public static async Task<IReadOnlyList<ProviderRegistration>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) return Array.Empty<ProviderRegistration>();
        byte[] bytes;
        try { bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.ResourceUnavailable, $"Cannot read the providers file '{path}': {e.Message}", path, e);
        }
        return Parse(bytes, path);
    }

    /// <summary>The providers file's bytes as registrations; every problem is ProviderInvalid naming <paramref name="path"/>.</summary>
    internal static IReadOnlyList<ProviderRegistration> Parse(byte[] bytes, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var list = new List<ProviderRegistration>();
            if (!doc.RootElement.TryGetProperty("providers", out var providers) || providers.ValueKind != JsonValueKind.Array) return list;
            foreach (var p in providers.EnumerateArray())
            {
                // "headers" (values) is only read, from files written by older versions; it is never written again.
                var headers = StringMap(p, "headers");
                var headerEnvs = StringMap(p, "header_envs");
                list.Add(new ProviderRegistration
                {
                    Name = Str(p, "name") ?? throw new FormatException("a provider without a name"),
                    Url = Str(p, "url") ?? throw new FormatException("a provider without a url"),
                    AuthScheme = Str(p, "auth_scheme") ?? "token",
                    TokenEnvironmentVariable = Str(p, "token_env"),
                    TokenInRegisteringProcessOnly = Str(p, "token_kept") == "process",
                    DisplayNameSuffix = Str(p, "display_name_suffix"),
                    Headers = headers,
                    HeaderEnvironmentVariables = headerEnvs,
                    RequestTimeout = Seconds(p, "request_timeout"),
                    ConnectTimeout = Seconds(p, "connect_timeout"),
                    LaunchTimeout = Seconds(p, "launch_timeout"),
                    ValidateCertificate = !(p.TryGetProperty("validate_cert", out var vc) && vc.ValueKind == JsonValueKind.False),
                    CaBundlePath = Str(p, "ca_certs"),
                    ClientCertificatePath = Str(p, "client_cert"),
                    EnvironmentAllowList = p.TryGetProperty("allowed_envs", out var a) && a.ValueKind == JsonValueKind.Array
                        ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray()
                        : Array.Empty<string>(),
                });
            }
            return list;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidData, $"The providers file '{path}' is not valid: {e.Message}", path, e);
        }
    }

    public static Task WriteAsync(string path, IEnumerable<ProviderRegistration> registrations, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory)) SecureFile.EnsurePrivateDirectory(directory);
        return AtomicFile.WriteAsync(path, Serialize(registrations), userOnly: true, durable: true, cancellationToken);
    }

    /// <summary>The file's text for <paramref name="registrations"/>: names of environment variables, never secrets.</summary>
    internal static byte[] Serialize(IEnumerable<ProviderRegistration> registrations)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteStartArray("providers");
            foreach (var r in registrations)
            {
                w.WriteStartObject();
                w.WriteString("name", r.Name);
                w.WriteString("kind", "gateway");
                w.WriteString("url", r.Url);
                w.WriteString("auth_scheme", r.AuthScheme);
                if (r.TokenEnvironmentVariable is not null) w.WriteString("token_env", r.TokenEnvironmentVariable);
                else if (r.TokenInRegisteringProcessOnly || r.Token is not null) w.WriteString("token_kept", "process");
                if (r.DisplayNameSuffix is not null) w.WriteString("display_name_suffix", r.DisplayNameSuffix);
                // Never the values of r.Headers: only where each value is to be read from at use.
                if (r.HeaderEnvironmentVariables.Count > 0)
                {
                    w.WriteStartObject("header_envs");
                    foreach (var (header, variable) in r.HeaderEnvironmentVariables) w.WriteString(header, variable);
                    w.WriteEndObject();
                }
                if (r.RequestTimeout is { } rt) w.WriteNumber("request_timeout", rt.TotalSeconds);
                if (r.ConnectTimeout is { } ct) w.WriteNumber("connect_timeout", ct.TotalSeconds);
                if (r.LaunchTimeout is { } lt) w.WriteNumber("launch_timeout", lt.TotalSeconds);
                if (!r.ValidateCertificate) w.WriteBoolean("validate_cert", false);
                if (r.CaBundlePath is not null) w.WriteString("ca_certs", r.CaBundlePath);
                if (r.ClientCertificatePath is not null) w.WriteString("client_cert", r.ClientCertificatePath);
                if (r.EnvironmentAllowList.Count > 0)
                {
                    w.WriteStartArray("allowed_envs");
                    foreach (var e in r.EnvironmentAllowList) w.WriteStringValue(e);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static Dictionary<string, string> StringMap(JsonElement e, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (e.TryGetProperty(name, out var h) && h.ValueKind == JsonValueKind.Object)
            foreach (var x in h.EnumerateObject()) if (x.Value.ValueKind == JsonValueKind.String) map[x.Name] = x.Value.GetString()!;
        return map;
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The longest timeout a wait can take: .NET's timers count milliseconds in an int (about 24.8 days).</summary>
    private static readonly double LongestTimeoutSeconds = int.MaxValue / 1000.0;

    private static TimeSpan? Seconds(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !(d > 0)) return null;
        if (d > LongestTimeoutSeconds)
            throw new FormatException($"{name} {d.ToString(CultureInfo.InvariantCulture)} s is longer than the longest timeout ({LongestTimeoutSeconds:0} s)");
        return TimeSpan.FromSeconds(d);
    }
}
