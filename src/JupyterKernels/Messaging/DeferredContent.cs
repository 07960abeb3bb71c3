using System.Text.Json;

namespace JupyterKernels.Messaging;

/// <summary>
/// A large content that arrived as a flat object of strings (a stream message), already validated and decoded by
/// <see cref="FlatStringObject"/>: its strings are read from here, and the JSON element is built only if somebody
/// asks for it (raw mode, a custom consumer) — parsing it again would cost more than the decode itself.
/// </summary>
internal sealed class DeferredContent
{
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly IReadOnlyDictionary<string, string> _strings;
    private object? _element; // a boxed JsonElement once built

    public DeferredContent(ReadOnlyMemory<byte> utf8, IReadOnlyDictionary<string, string> strings)
    {
        _utf8 = utf8;
        _strings = strings;
    }

    public string? GetString(string property) => _strings.TryGetValue(property, out var value) ? value : null;

    public JsonElement Element
    {
        get
        {
            if (Volatile.Read(ref _element) is JsonElement built) return built;
            Interlocked.CompareExchange(ref _element, Build(), null);
            return (JsonElement)_element!;
        }
    }

    private JsonElement Build()
    {
        // The bytes were validated as JSON when they arrived; parsed in place, as other large contents are.
        try
        {
            return WireFormat.ParseLargeObject(_utf8);
        }
        catch (JsonException)
        {
            // Only a JSON subtlety the two readers judge differently could get here; the decoded strings stand.
            return JsonSerializer.SerializeToElement(_strings);
        }
    }
}
