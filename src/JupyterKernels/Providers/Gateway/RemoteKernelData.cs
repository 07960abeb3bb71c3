using System.Text;
using System.Text.Json;

namespace JupyterKernels.Providers.Gateway;

/// <summary>
/// What a remote (gateway / Jupyter Server) provider persists of a kernel beside what every kernel has
/// (<see cref="KernelRecord"/>): the provider alone reads and writes it, as <see cref="KernelRecord.ProviderData"/>.
/// The server's own kernel id stays in <see cref="KernelRecord.RemoteId"/>: the store keeps it unique per provider.
/// </summary>
internal sealed record RemoteKernelData
{
    /// <summary>The kernel's REST URL (no token).</summary>
    public string? Url { get; init; }

    // The key is the name of the kernels-table column the value had up to schema 4 (store migration 5 moved it here).
    private const string UrlKey = "url";

    /// <summary>The remote data of <paramref name="record"/>; empty when it has none.</summary>
    public static RemoteKernelData Of(KernelRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Parse(record.ProviderData);
    }

    internal static RemoteKernelData Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return Empty;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(UrlKey, out var u) && u.ValueKind == JsonValueKind.String
                ? new RemoteKernelData { Url = u.GetString() }
                : Empty;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Empty; // a damaged row (InvalidOperationException: a string escaping a lone UTF-16 surrogate)
        }
    }

    private static readonly RemoteKernelData Empty = new();

    /// <summary>The JSON kept in <see cref="KernelRecord.ProviderData"/>.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (Url is not null) w.WriteString(UrlKey, Url);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>What the public <see cref="Kernel"/> shows of it.</summary>
    public ProviderKernelView View => new() { Url = Url };
}
