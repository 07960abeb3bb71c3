namespace JupyterKernels.Providers;

/// <summary>What Start-Kernel asks a provider for. <see cref="KernelId"/> is chosen by us before the start so a
/// start that fails half-way can be reconciled (recorded first, started second).</summary>
internal sealed record KernelStartRequest
{
    public required string KernelId { get; init; }
    /// <summary>The provider's own spec name (prefix already stripped).</summary>
    public required string SpecName { get; init; }
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Appended to the kernelspec's argv (jupyter_client's extra_arguments); a remote provider cannot pass them.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = Array.Empty<string>();
    /// <summary>What the kernel is known to answer on which channel (a restart keeps what the old process taught).</summary>
    public Connections.KernelChannelCapabilities? KnownChannels { get; init; }
}
