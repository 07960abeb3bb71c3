using System.Globalization;
using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Providers.Gateway;

/// <summary>The Kernel model of the REST API (<c>id, name, last_activity, execution_state, connections, reason</c>).</summary>
internal sealed record RemoteKernel(string Id, string Name)
{
    public string ExecutionState { get; init; } = "";
    public DateTimeOffset? LastActivity { get; init; }
    public int Connections { get; init; }
    public string? Reason { get; init; }

    public KernelState State => GatewayModels.ToState(ExecutionState);
}

/// <summary>One kernelspec as the server describes it (names not prefixed).</summary>
internal sealed record RemoteKernelSpec(string Name, string DisplayName, string Language)
{
    public string InterruptMode { get; init; } = "signal";
    public IReadOnlyList<string> Argv { get; init; } = Array.Empty<string>();
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    /// <summary>Resource name (logo-64x64, kernel.js…) → server-relative URL path.</summary>
    public IReadOnlyDictionary<string, string> Resources { get; init; } = new Dictionary<string, string>();
}

internal sealed record RemoteKernelSpecs(string? Default, IReadOnlyList<RemoteKernelSpec> Specs);

/// <summary>The Session model (<c>id, path, name, type, kernel</c>).</summary>
internal sealed record RemoteSession(string Id, string Path, string Name, string Type, RemoteKernel? Kernel);

internal static class GatewayModels
{
    public static KernelState ToState(string? executionState) => ExecutionStates.Parse(executionState) ?? KernelState.Unknown;

    /// <summary>ISO-8601, parsed leniently (with or without fraction/zone; no zone = UTC).</summary>
    public static DateTimeOffset? ParseDate(string? text)
        => !string.IsNullOrEmpty(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d) ? d : null;

    public static RemoteKernel ParseKernel(JsonElement e)
    {
        var id = e.GetStringOrNull("id") ?? throw new FormatException("kernel model without an id");
        return new RemoteKernel(id, e.GetStringOrNull("name") ?? "")
        {
            ExecutionState = e.GetStringOrNull(ContentKeys.ExecutionState) ?? "",
            LastActivity = ParseDate(e.GetStringOrNull("last_activity")),
            Connections = e.GetInt32OrNull("connections") ?? 0,
            Reason = e.GetStringOrNull("reason"),
        };
    }

    public static RemoteKernelSpecs ParseKernelSpecs(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("kernelspecs", out var specs) || specs.ValueKind != JsonValueKind.Object)
            throw new FormatException("no 'kernelspecs' object");
        var list = new List<RemoteKernelSpec>();
        foreach (var p in specs.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Object) continue;
            list.Add(ParseKernelSpec(p.Value, p.Name));
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new RemoteKernelSpecs(root.GetStringOrNull("default"), list);
    }

    public static RemoteKernelSpec ParseKernelSpec(JsonElement model, string? fallbackName = null)
    {
        var name = model.GetStringOrNull("name") ?? fallbackName ?? throw new FormatException("kernelspec without a name");
        var spec = model.GetPropertyOrNull("spec") ?? default;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec.GetPropertyOrNull("env") is { ValueKind: JsonValueKind.Object } envElement)
            foreach (var v in envElement.EnumerateObject()) env[v.Name] = v.Value.ValueKind == JsonValueKind.String ? v.Value.GetString()! : v.Value.GetRawText();
        var resources = new Dictionary<string, string>(StringComparer.Ordinal);
        if (model.GetPropertyOrNull("resources") is { ValueKind: JsonValueKind.Object } res)
            foreach (var r in res.EnumerateObject()) if (r.Value.ValueKind == JsonValueKind.String) resources[r.Name] = r.Value.GetString()!;
        return new RemoteKernelSpec(name, spec.GetStringOrNull("display_name") ?? name, spec.GetStringOrNull("language") ?? "")
        {
            InterruptMode = spec.GetStringOrNull("interrupt_mode") ?? "signal",
            Argv = spec.GetStringList("argv"),
            Env = env,
            Resources = resources,
        };
    }

    public static RemoteSession ParseSession(JsonElement e)
    {
        var id = e.GetStringOrNull("id") ?? throw new FormatException("session model without an id");
        var kernel = e.GetPropertyOrNull("kernel") is { ValueKind: JsonValueKind.Object } k ? ParseKernel(k) : null;
        return new RemoteSession(id, e.GetStringOrNull("path") ?? "", e.GetStringOrNull("name") ?? "", e.GetStringOrNull("type") ?? "", kernel);
    }
}
