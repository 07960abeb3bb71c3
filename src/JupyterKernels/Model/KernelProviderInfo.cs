namespace JupyterKernels;

/// <summary>A registered kernel provider as shown to the user (no token).</summary>
public sealed class KernelProviderInfo
{
    public required string Name { get; init; }
    /// <summary>"local" or "gateway".</summary>
    public required string Kind { get; init; }
    public string? Url { get; init; }
    public string DisplayNameSuffix { get; init; } = "";
    public bool HasCredential { get; init; }

    public override string ToString() => Name;
}
