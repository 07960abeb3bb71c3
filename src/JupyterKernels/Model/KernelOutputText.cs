namespace JupyterKernels;

/// <summary>Plain-text rendering of a MIME bundle, for ToString and default views.</summary>
internal static class KernelOutputText
{
    public static string Plain(IReadOnlyDictionary<string, object?> data)
    {
        if (data.TryGetValue("text/plain", out var text) && text is not null)
            return text.ToString() ?? "";
        foreach (var (mime, _) in data)
            return $"<{mime}>";
        return "";
    }
}
