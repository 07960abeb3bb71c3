using System.Globalization;
using System.Text;
using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// Reads and writes kernel connection files in jupyter_client's format, so files we write work with
/// <c>jupyter console --existing FILE</c> and files jupyter writes work with us. Error messages never include the key.
/// </summary>
internal static class ConnectionFile
{
    private static readonly string[] PortNames = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"];

    /// <summary>Reads and validates a connection file. Throws <see cref="KernelException"/> (ConnectionFileInvalid).</summary>
    public static ConnectionInfo Read(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ReadFailure(path, ex);
        }
        return Parse(json, path);
    }

    /// <inheritdoc cref="Read"/>
    public static async Task<ConnectionInfo> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ReadFailure(path, ex);
        }
        return Parse(json, path);
    }

    /// <summary>
    /// Validates connection-file JSON. Unknown keys (jupyter_session, curve keys...) are ignored; the five ports are
    /// required; ip, key, transport, signature_scheme and kernel_name default as in jupyter_client.
    /// </summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">Names the file in error messages.</param>
    public static ConnectionInfo Parse(string json, string source = "connection info")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (ArgumentException)
        {
            // JsonDocument.Parse(string) cannot transcode a lone UTF-16 surrogate (a string built in memory; File.ReadAllText never produces one).
            throw Invalid(source, "is not valid text (it contains an unpaired UTF-16 surrogate).");
        }
        catch (JsonException ex)
        {
            // Only the location: System.Text.Json's message can quote the offending text, which may be part of the key.
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}" : "";
            throw Invalid(source, $"is not valid JSON{where}.");
        }

        using (document)
        {
            try
            {
                return Validate(document.RootElement, source);
            }
            catch (InvalidOperationException)
            {
                // A string or name with an unpaired \uD800-\uDFFF escape parses as JSON but cannot be read as a string.
                throw Invalid(source, "contains a string with an unpaired UTF-16 surrogate escape.");
            }
        }
    }

    private static ConnectionInfo Validate(JsonElement root, string source)
    {
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, "must contain a JSON object.");
            }

            var transport = OptionalString(root, "transport", source) ?? "tcp";
            if (transport == "ipc")
            {
                throw Invalid(source, "uses the 'ipc' transport, which is not supported: only 'tcp' connection files can be used. Start the kernel with transport 'tcp'.");
            }
            if (transport != "tcp")
            {
                throw Invalid(source, $"has transport '{transport}'; only 'tcp' is supported.");
            }

            var missing = PortNames.Where(name => !root.TryGetProperty(name, out var p) || p.ValueKind == JsonValueKind.Null).ToList();
            if (missing.Count > 0)
            {
                throw Invalid(source, $"is missing {string.Join(", ", missing)}.");
            }

            var scheme = OptionalString(root, "signature_scheme", source) ?? "hmac-sha256";
            if (!scheme.StartsWith("hmac-", StringComparison.Ordinal))
            {
                throw Invalid(source, $"has signature_scheme '{scheme}'; it must start with 'hmac-' (e.g. hmac-sha256).");
            }

            var ip = OptionalString(root, "ip", source);
            return new ConnectionInfo
            {
                ShellPort = Port(root, "shell_port", source),
                IOPubPort = Port(root, "iopub_port", source),
                StdinPort = Port(root, "stdin_port", source),
                ControlPort = Port(root, "control_port", source),
                HbPort = Port(root, "hb_port", source),
                Ip = string.IsNullOrEmpty(ip) ? "127.0.0.1" : ip,
                Key = OptionalString(root, "key", source) ?? "",
                Transport = transport,
                SignatureScheme = scheme,
                KernelName = OptionalString(root, "kernel_name", source) ?? "",
            };
        }
    }

    /// <summary>
    /// The exact text jupyter_client writes: <c>json.dumps(cfg, indent=2)</c> with its key order (ports, ip, key,
    /// transport, signature_scheme, kernel_name), ASCII-only escaping and no trailing newline.
    /// </summary>
    public static string Serialize(ConnectionInfo info)
    {
        var sb = new StringBuilder(320);
        sb.Append("{\n");
        AppendNumber(sb, "shell_port", info.ShellPort);
        AppendNumber(sb, "iopub_port", info.IOPubPort);
        AppendNumber(sb, "stdin_port", info.StdinPort);
        AppendNumber(sb, "control_port", info.ControlPort);
        AppendNumber(sb, "hb_port", info.HbPort);
        AppendString(sb, "ip", info.Ip);
        AppendString(sb, "key", info.Key);
        AppendString(sb, "transport", info.Transport);
        AppendString(sb, "signature_scheme", info.SignatureScheme);
        AppendString(sb, "kernel_name", info.KernelName, last: true);
        sb.Append('}');
        return sb.ToString();
    }

    /// <summary>
    /// Writes <paramref name="info"/> to a new user-only file (0600 / current-user ACL, replacing any existing file)
    /// and, like jupyter_client, sets the sticky bit on the containing directory so other users cannot delete it.
    /// </summary>
    public static async Task WriteAsync(string path, ConnectionInfo info, CancellationToken cancellationToken = default)
    {
        await SecureFile.WriteAllTextAsync(path, Serialize(info), cancellationToken).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                try
                {
                    var mode = File.GetUnixFileMode(directory);
                    if ((mode & UnixFileMode.StickyBit) == 0)
                    {
                        File.SetUnixFileMode(directory, mode | UnixFileMode.StickyBit);
                    }
                }
                catch (UnauthorizedAccessException)
                {
                    // jupyter_client ignores EPERM: we may not own the directory (e.g. /tmp).
                }
            }
        }
    }

    private static int Port(JsonElement root, string name, string source)
    {
        var element = root.GetProperty(name);
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var port))
        {
            throw Invalid(source, $"has a {name} that is not an integer.");
        }
        if (port is < 1 or > 65535)
        {
            throw Invalid(source, $"has {name} {port.ToString(CultureInfo.InvariantCulture)}; a port must be between 1 and 65535.");
        }
        return port;
    }

    private static string? OptionalString(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            // Never echo the value: for "key" it is the secret.
            throw Invalid(source, $"has a {name} that is not a string.");
        }
        return element.GetString();
    }

    private static void AppendNumber(StringBuilder sb, string name, int value) =>
        sb.Append("  \"").Append(name).Append("\": ").Append(value.ToString(CultureInfo.InvariantCulture)).Append(",\n");

    private static void AppendString(StringBuilder sb, string name, string value, bool last = false)
    {
        sb.Append("  \"").Append(name).Append("\": ");
        PythonJsonString.Append(sb, value, ensureAscii: true);
        sb.Append(last ? "\n" : ",\n");
    }

    private static KernelException ReadFailure(string path, Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => new KernelException(ErrorIds.ConnectionFileInvalid,
            KernelErrorCategory.ObjectNotFound, $"Connection file '{path}' does not exist.", path, ex),
        UnauthorizedAccessException => new KernelException(ErrorIds.ConnectionFileInvalid,
            KernelErrorCategory.PermissionDenied, $"Connection file '{path}' cannot be read: access denied.", path, ex),
        _ => new KernelException(ErrorIds.ConnectionFileInvalid, KernelErrorCategory.InvalidData,
            $"Connection file '{path}' cannot be read: {ex.Message}", path, ex),
    };

    private static KernelException Invalid(string source, string problem) =>
        new(ErrorIds.ConnectionFileInvalid, KernelErrorCategory.InvalidData, $"Connection file '{source}' {problem}", source);
}
