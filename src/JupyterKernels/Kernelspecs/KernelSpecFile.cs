using System.Text.Json;

namespace JupyterKernels.Kernelspecs;

/// <summary>
/// The contents of one kernel.json (jupyter_client kernelspec.py <c>KernelSpec</c>), validated. Parsing is strict
/// about types, because a wrong type surfaces much later as a confusing launch failure otherwise; unknown keys are
/// ignored, as jupyter_client ignores them.
/// </summary>
internal sealed class KernelSpecFile
{
    public const string FileName = "kernel.json";

    public required IReadOnlyList<string> Argv { get; init; }
    /// <summary>Empty when the file has none (jupyter_client's default).</summary>
    public string DisplayName { get; init; } = "";
    public string Language { get; init; } = "";
    /// <summary>"signal" (default) or "message".</summary>
    public string InterruptMode { get; init; } = "signal";
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    /// <summary>The metadata object as written (a cloned element, valid after the document is gone); null when absent.</summary>
    public JsonElement? Metadata { get; init; }
    public string? KernelProtocolVersion { get; init; }

    /// <summary>Reads and validates <paramref name="path"/>. Throws <see cref="KernelException"/> (KernelSpecInvalid).</summary>
    public static KernelSpecFile Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Invalid(path, $"cannot be read: {ex.Message}", ex);
        }
        return Parse(json, path);
    }

    /// <summary>Validates kernel.json text; <paramref name="source"/> names the file in error messages.</summary>
    public static KernelSpecFile Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (ArgumentException ex)
        {
            // JsonDocument.Parse(string) cannot transcode a lone UTF-16 surrogate (a string built in memory; File.ReadAllText never produces one).
            throw Invalid(source, "is not valid text (it contains an unpaired UTF-16 surrogate).", ex);
        }
        catch (JsonException ex)
        {
            // JsonException counts lines and bytes from 0; editors count from 1.
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}" : "";
            throw Invalid(source, $"is not valid JSON{where}: {StripLocation(ex.Message)}", ex);
        }

        using (document)
        {
            try
            {
                return Validate(document.RootElement, source);
            }
            catch (InvalidOperationException ex)
            {
                // A string or name with an unpaired \uD800-\uDFFF escape parses as JSON but cannot be read as a string.
                throw Invalid(source, "contains a string with an unpaired UTF-16 surrogate escape.", ex);
            }
        }
    }

    private static KernelSpecFile Validate(JsonElement root, string source)
    {
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, $"must contain a JSON object, not {Describe(root.ValueKind)}.");
            }

            return new KernelSpecFile
            {
                Argv = ReadArgv(root, source),
                DisplayName = ReadOptionalString(root, "display_name", source) ?? "",
                Language = ReadOptionalString(root, "language", source) ?? "",
                InterruptMode = ReadInterruptMode(root, source),
                Env = ReadEnv(root, source),
                Metadata = ReadMetadata(root, source),
                KernelProtocolVersion = ReadOptionalString(root, "kernel_protocol_version", source),
            };
        }
    }

    /// <summary>The public pipeline object for this spec, found in <paramref name="resourceDirectory"/> under <paramref name="name"/>.</summary>
    public KernelSpec ToKernelSpec(string name, string resourceDirectory, string provider = "local") => new()
    {
        Name = name,
        ProviderSpecName = name,
        Provider = provider,
        // A spec without display_name would show as a blank line in tables; the name is what jupyter shows instead.
        DisplayName = DisplayName.Length > 0 ? DisplayName : name,
        Language = Language,
        InterruptMode = InterruptMode,
        Argv = Argv,
        Env = Env,
        ResourceDirectory = resourceDirectory,
    };

    private static IReadOnlyList<string> ReadArgv(JsonElement root, string source)
    {
        if (!root.TryGetProperty("argv", out var argv) || argv.ValueKind == JsonValueKind.Null)
        {
            throw Invalid(source, "has no 'argv': it must list the command that starts the kernel, e.g. [\"python3\", \"-m\", \"ipykernel_launcher\", \"-f\", \"{connection_file}\"].");
        }
        if (argv.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(source, $"'argv' must be an array of strings, not {Describe(argv.ValueKind)}.");
        }
        var list = new List<string>(argv.GetArrayLength());
        var index = 0;
        foreach (var item in argv.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw Invalid(source, $"'argv' element {index} must be a string, not {Describe(item.ValueKind)}.");
            }
            list.Add(item.GetString()!);
            index++;
        }
        if (list.Count == 0)
        {
            throw Invalid(source, "'argv' is empty: it must list the command that starts the kernel.");
        }
        if (list[0].Length == 0)
        {
            throw Invalid(source, "'argv' starts with an empty string: the first element must be the program to run.");
        }
        return list;
    }

    private static string ReadInterruptMode(JsonElement root, string source)
    {
        var mode = ReadOptionalString(root, "interrupt_mode", source);
        return mode switch
        {
            null => "signal",
            "signal" or "message" => mode,
            _ => throw Invalid(source, $"'interrupt_mode' is '{mode}'; it must be \"signal\" or \"message\"."),
        };
    }

    private static IReadOnlyDictionary<string, string> ReadEnv(JsonElement root, string source)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("env", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return env;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, $"'env' must be an object of string values, not {Describe(element.ValueKind)}.");
        }
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw Invalid(source, $"'env' value for '{property.Name}' must be a string, not {Describe(property.Value.ValueKind)}.");
            }
            env[property.Name] = property.Value.GetString()!;
        }
        return env;
    }

    private static JsonElement? ReadMetadata(JsonElement root, string source)
    {
        if (!root.TryGetProperty("metadata", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, $"'metadata' must be an object, not {Describe(element.ValueKind)}.");
        }
        return element.Clone();
    }

    private static string? ReadOptionalString(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            throw Invalid(source, $"'{name}' must be a string, not {Describe(element.ValueKind)}.");
        }
        return element.GetString();
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>System.Text.Json appends "LineNumber: 0 | BytePositionInLine: 5." (0-based); we report 1-based ourselves.</summary>
    private static string StripLocation(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at >= 0 ? message[..at] : message;
    }

    private static KernelException Invalid(string source, string problem, Exception? inner = null) =>
        new(ErrorIds.KernelSpecInvalid, KernelErrorCategory.InvalidData, $"Kernelspec file '{source}' {problem}", source, inner);
}
