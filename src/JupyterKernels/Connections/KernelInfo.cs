using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>The parts of kernel_info_reply we act on. Features are read from supported_features, never inferred from versions.</summary>
public sealed record KernelInfo(string ProtocolVersion, string Implementation, string LanguageName, IReadOnlyList<string> SupportedFeatures, string Banner)
{
    /// <summary>The implementation's own version (implementation_version, e.g. IPython's for ipykernel).</summary>
    public string ImplementationVersion { get; init; } = "";

    /// <summary>The reply's language_info object as the kernel sent it (JSON text; "" if absent): a notebook run
    /// records it in metadata.language_info, as nbclient does.</summary>
    public string LanguageInfoJson { get; init; } = "";

    public bool SupportsSubshells => SupportedFeatures.Contains("kernel subshells", StringComparer.Ordinal);

    internal static KernelInfo FromContent(JsonElement content)
    {
        var language = content.GetPropertyOrNull("language_info") is { } li ? li.GetStringOrNull("name") ?? "" : "";
        return new KernelInfo(
            content.GetStringOrNull("protocol_version") ?? "",
            content.GetStringOrNull("implementation") ?? "",
            language,
            content.GetStringList("supported_features"),
            content.GetStringOrNull("banner") ?? "")
        {
            ImplementationVersion = content.GetStringOrNull("implementation_version") ?? "",
            LanguageInfoJson = content.GetPropertyOrNull("language_info") is { ValueKind: JsonValueKind.Object } info ? info.GetRawText() : "",
        };
    }
}
