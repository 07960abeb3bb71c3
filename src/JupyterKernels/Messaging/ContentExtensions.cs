using System.Text.Json;

namespace JupyterKernels.Messaging;

/// <summary>Tolerant readers for message content: kernels may omit fields or send extra ones (spec: "allow extra fields").</summary>
internal static class ContentExtensions
{
    public static string? GetStringOrNull(this JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static int? GetInt32OrNull(this JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    public static bool? GetBooleanOrNull(this JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public static JsonElement? GetPropertyOrNull(this JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) ? v : null;

    public static IReadOnlyList<string> GetStringList(this JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array)
            return Array.Empty<string>();
        var list = new List<string>(v.GetArrayLength());
        foreach (var item in v.EnumerateArray())
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.ToString());
        return list;
    }

    /// <summary>Converts JSON to plain .NET objects (string, long, double, bool, null, object?[], Dictionary) for pipeline output.</summary>
    public static object? ToPlainObject(this JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        // Boxed separately: "c ? long : double" would be a double, turning {"a":1} into 1.0.
        JsonValueKind.Number => element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Array => element.EnumerateArray().Select(ToPlainObject).ToArray(),
        JsonValueKind.Object => ToDictionary(element),
        _ => element.ToString(),
    };

    public static Dictionary<string, object?> ToDictionary(this JsonElement element)
    {
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (element.ValueKind != JsonValueKind.Object) return dict;
        foreach (var p in element.EnumerateObject())
        {
            // MIME bundles: text types may come as a list of lines (nbformat style); join them.
            dict[p.Name] = p.Value.ValueKind == JsonValueKind.Array && p.Name.StartsWith("text/", StringComparison.Ordinal)
                ? string.Concat(p.Value.EnumerateArray().Select(x => x.GetString()))
                : p.Value.ToPlainObject();
        }
        return dict;
    }
}
