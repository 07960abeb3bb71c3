using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace JupyterKernels;

/// <summary>
/// The best text form of a MIME bundle, as a console would show a notebook cell's output: the kernel's
/// <c>text/plain</c> when it says something, JSON as JSON (types kept), Markdown/LaTeX as their text, anything else as
/// a short summary such as <c>&lt;HTML 2.1 KB&gt;</c> or <c>&lt;image/png 640x480&gt;</c>. Used by ToString and the views.
/// </summary>
internal static partial class KernelOutputText
{
    // IPython's repr of a display object that only has rich forms: "<IPython.core.display.HTML object>".
    [GeneratedRegex(@"^<[\w.]+ object(?: at 0x[0-9a-fA-F]+)?>$")]
    private static partial Regex UninformativeRepr();

    /// <summary>The text a person should see for this bundle (never null).</summary>
    public static string Best(IReadOnlyDictionary<string, object?> data, IReadOnlyDictionary<string, object?>? metadata = null)
        => Choose(data, metadata).Text;

    /// <summary>The console text of a bundle and the MIME type it comes from ("summary" when it only summarises).</summary>
    public readonly record struct Choice(string Text, string Source);

    public const string SummarySource = "summary";

    /// <summary>The best text of a bundle and where it comes from: informative text/plain; else JSON; else Markdown,
    /// LaTeX; else HTML that reads as text (small, no script: <see cref="HtmlText"/>); else a summary.</summary>
    public static Choice Choose(IReadOnlyDictionary<string, object?> data, IReadOnlyDictionary<string, object?>? metadata = null)
    {
        var plain = data.TryGetValue("text/plain", out var p) && p is not null ? Text(p) : null;
        if (plain is not null && (!UninformativeRepr().IsMatch(plain.Trim()) || data.Count == 1))
            return new(plain, "text/plain");

        foreach (var (mime, value) in data)
        {
            if (value is not null && IsJson(mime))
                return new(Json(value), mime);
        }
        foreach (var mime in (string[])["text/markdown", "text/latex"])
        {
            if (data.TryGetValue(mime, out var text) && text is not null)
                return new(Text(text), mime);
        }
        if (data.TryGetValue("text/html", out var html) && html is string h && HtmlText.TryConvert(h) is { } converted)
            return new(converted, "text/html");
        foreach (var (mime, value) in data)
        {
            if (mime != "text/plain")
                return new(Summary(mime, value, metadata), SummarySource);
        }
        return new(plain ?? "", plain is null ? SummarySource : "text/plain");
    }

    /// <summary>A one-line summary of one MIME value: &lt;HTML 2.1 KB&gt;, &lt;image/png 640x480&gt;, &lt;image/svg+xml 3 KB&gt;.</summary>
    public static string Summary(string mime, object? value, IReadOnlyDictionary<string, object?>? metadata = null)
    {
        var name = mime switch
        {
            "text/html" => "HTML",
            "application/javascript" or "text/javascript" => "JavaScript",
            "application/pdf" => "PDF",
            _ => mime,
        };
        if (mime.StartsWith("image/", StringComparison.Ordinal) && mime != "image/svg+xml")
        {
            if (value is string base64 && ImageSize(base64) is { } size)
                return $"<{name} {size.Width}x{size.Height}>";
            if (MetadataSize(mime, metadata) is { } declared)
                return $"<{name} {declared.Width}x{declared.Height}>";
            return value is string b ? $"<{name} {Bytes(b.Length * 3L / 4)}>" : $"<{name}>";
        }
        return value switch
        {
            string s => $"<{name} {Bytes(System.Text.Encoding.UTF8.GetByteCount(s))}>",
            null => $"<{name}>",
            _ => $"<{name} {Bytes(System.Text.Encoding.UTF8.GetByteCount(Json(value)))}>",
        };
    }

    /// <summary>Compact JSON of a plain object (string, long, double, bool, null, object?[], dictionary): 1 stays 1.</summary>
    public static string Json(object? value) => JsonSerializer.Serialize(value, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static bool IsJson(string mime) => mime == "application/json" || (mime.StartsWith("application/", StringComparison.Ordinal) && mime.EndsWith("+json", StringComparison.Ordinal));

    private static string Text(object value) => value as string ?? value.ToString() ?? "";

    private static string Bytes(long count) => count switch
    {
        < 1024 => $"{count} B",
        < 1024 * 1024 => (count / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        _ => (count / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
    };

    private static (long Width, long Height)? MetadataSize(string mime, IReadOnlyDictionary<string, object?>? metadata)
    {
        if (metadata is null || !metadata.TryGetValue(mime, out var m) || m is not IDictionary<string, object?> dict)
            return null;
        return dict.TryGetValue("width", out var w) && dict.TryGetValue("height", out var h) && w is long width && h is long height
            ? (width, height) : null;
    }

    /// <summary>Width and height from a base64 PNG, GIF or JPEG header; null when not recognised.</summary>
    internal static (long Width, long Height)? ImageSize(string base64)
    {
        byte[] bytes;
        try
        {
            // PNG and GIF sizes sit in the first bytes; JPEG needs a scan of the segments.
            bytes = Convert.FromBase64String(base64.Replace("\n", "").Replace("\r", ""));
        }
        catch (FormatException)
        {
            return null;
        }
        ReadOnlySpan<byte> b = bytes;
        if (b.Length >= 24 && b[..8].SequenceEqual((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            return (BinaryPrimitives.ReadUInt32BigEndian(b[16..]), BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
        if (b.Length >= 10 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F')
            return (BinaryPrimitives.ReadUInt16LittleEndian(b[6..]), BinaryPrimitives.ReadUInt16LittleEndian(b[8..]));
        if (b.Length >= 4 && b[0] == 0xFF && b[1] == 0xD8)
        {
            var i = 2;
            while (i + 9 < b.Length && b[i] == 0xFF)
            {
                var marker = b[i + 1];
                var length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
                // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry height then width.
                if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                    return (BinaryPrimitives.ReadUInt16BigEndian(b[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(b[(i + 5)..]));
                i += 2 + length;
            }
        }
        return null;
    }
}
