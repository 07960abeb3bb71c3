namespace JupyterKernels.Providers;

/// <summary>Evidence about one kernel. Only <see cref="KernelLiveness.Gone"/> is definite enough to remove a record.</summary>
public enum KernelLiveness { Alive, Gone, Unknown }

public sealed record KernelProbe(KernelLiveness Liveness, string Reason)
{
    public KernelState? State { get; init; }
    public DateTimeOffset? LastActivity { get; init; }
    public int? Connections { get; init; }
}

/// <summary>A kernel as a remote server lists it.</summary>
public sealed record ProviderKernel(string RemoteId, string SpecName)
{
    public KernelState State { get; init; }
    public DateTimeOffset? LastActivity { get; init; }
    public int Connections { get; init; }
    /// <summary>The kernel's REST URL (no token), when the provider has one.</summary>
    public string? Url { get; init; }
}

/// <summary>The result of listing a provider's kernels. <see cref="Complete"/> is false when the server forbids
/// listing (Kernel/Enterprise Gateway 403) and the caller must probe per id.</summary>
public sealed record ProviderKernelListing(IReadOnlyList<ProviderKernel> Kernels, bool Complete);
