namespace JupyterKernels;

/// <summary>A kernelspec as the user sees it. Remote specs are named <c>provider/name</c>.</summary>
public sealed class KernelSpec
{
    /// <summary>Name to pass to Start-Kernel: bare for the local provider, <c>provider/name</c> for remote ones.</summary>
    public required string Name { get; init; }
    public required string DisplayName { get; init; }
    public string Language { get; init; } = "";
    public required string Provider { get; init; }
    /// <summary>The provider's own name for the spec (no prefix).</summary>
    public required string ProviderSpecName { get; init; }
    /// <summary>"signal" or "message" (kernel.json interrupt_mode).</summary>
    public string InterruptMode { get; init; } = "signal";
    public IReadOnlyList<string> Argv { get; init; } = Array.Empty<string>();
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    /// <summary>Local: the kernelspec directory. Remote: null.</summary>
    public string? ResourceDirectory { get; init; }
    /// <summary>Remote: resource name → URL path (logos etc.).</summary>
    public IReadOnlyDictionary<string, string> Resources { get; init; } = new Dictionary<string, string>();
    /// <summary>Whether the provider marked it as its default spec.</summary>
    public bool IsDefault { get; init; }

    public override string ToString() => Name;
}
