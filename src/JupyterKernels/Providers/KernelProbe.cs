namespace JupyterKernels.Providers;

/// <summary>Evidence about one kernel. Only <see cref="KernelLiveness.Gone"/> is definite enough to remove a record.</summary>
internal enum KernelLiveness { Alive, Gone, Unknown }

internal sealed record KernelProbe(KernelLiveness Liveness, string Reason)
{
    public KernelState? State { get; init; }
    public DateTimeOffset? LastActivity { get; init; }
    public int? Connections { get; init; }
}

/// <summary>A kernel as a remote server lists it.</summary>
internal sealed record ProviderKernel(string RemoteId, string SpecName)
{
    public KernelState State { get; init; }
    public DateTimeOffset? LastActivity { get; init; }
    public int Connections { get; init; }
    /// <summary>What the provider persists of this kernel when it is recorded (<see cref="KernelRecord.ProviderData"/>:
    /// for a gateway, the kernel's REST URL without token).</summary>
    public string? ProviderData { get; init; }

    /// <summary>The record of this kernel when we adopt it (Sync-KernelSession -Adopt, or a session path the server
    /// already has): interrupts go by message, since we do not own its process.</summary>
    public KernelRecord ToAdoptedRecord(string providerName, string id, DateTimeOffset now) => new()
    {
        Id = id,
        Provider = providerName,
        RemoteId = RemoteId,
        SpecName = SpecName.StartsWith(providerName + "/", StringComparison.Ordinal) ? SpecName : $"{providerName}/{SpecName}",
        DisplayName = SpecName,
        CreatedAt = now,
        LastSeenAt = now,
        LastActivityAt = LastActivity,
        State = State,
        Connections = Connections,
        ProviderData = ProviderData,
        InterruptMode = "message",
    };
}

/// <summary>The result of listing a provider's kernels. <see cref="Complete"/> is false when the server forbids
/// listing (Kernel/Enterprise Gateway 403) and the caller must probe per id.</summary>
/// <summary>A session the provider itself keeps (Jupyter Server's /api/sessions: one per path, e.g. a notebook a
/// JupyterLab user has open) and the kernel it uses.</summary>
internal sealed record ProviderSession(string Name, string Path, string Type, ProviderKernel Kernel)
{
    /// <summary>Jupyter paths are relative to the server's root with forward slashes; "work/a.ipynb", "/work/a.ipynb"
    /// and "./work/a.ipynb" name the same file.</summary>
    public bool IsAt(string path) => string.Equals(Normalize(Path), Normalize(path), StringComparison.Ordinal);

    private static string Normalize(string path)
    {
        var p = path.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p.TrimStart('/');
    }
}

internal sealed record ProviderKernelListing(IReadOnlyList<ProviderKernel> Kernels, bool Complete);
