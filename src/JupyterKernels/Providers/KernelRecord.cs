namespace JupyterKernels.Providers;

/// <summary>
/// Everything needed to find and drive a kernel again from another process: what the store keeps. The fields every
/// kernel has, plus <see cref="ProviderData"/> that only the owning provider reads. Contains the connection key
/// (local) — never hand this object to the user; <see cref="ToKernel"/> makes the public view.
/// </summary>
internal sealed record KernelRecord
{
    public required string Id { get; init; }
    public required string Provider { get; init; }
    /// <summary>The provider's own kernel id (remote servers; null for local kernels); equals Id when the server accepted
    /// our id. A column of its own, not provider data: the store keeps it unique per provider and finds kernels by it.</summary>
    public string? RemoteId { get; init; }
    /// <summary>Spec name as the user gave it (prefixed for remote).</summary>
    public required string SpecName { get; init; }
    public string DisplayName { get; init; } = "";
    /// <summary>"signal" or "message" (from the spec at start time).</summary>
    public string InterruptMode { get; init; } = "signal";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastSeenAt { get; init; }
    public DateTimeOffset? LastActivityAt { get; init; }
    public KernelState State { get; init; } = KernelState.Starting;
    /// <summary>Number of open connections the provider reports (remote servers; null where unknown). Observed by Sync
    /// like <see cref="State"/>, so it is the record's, not the provider's.</summary>
    public int? Connections { get; init; }
    /// <summary>user@host that started it.</summary>
    public string Owner { get; init; } = "";
    public string? SessionName { get; init; }
    /// <summary>The process that recorded the kernel before starting it (pid and start time: a pid alone is no
    /// identity). While it lives a record in state Starting is a start in progress; once it is gone, Sync completes
    /// the record or removes it and stops what the start left.</summary>
    public int? StarterPid { get; init; }
    public DateTimeOffset? StarterStartTime { get; init; }
    /// <summary>
    /// What the owning provider persists beside the fields every kernel has (local: connection info with the key, pid,
    /// connection file; remote: the kernel URL), as JSON only that provider reads and writes (<c>LocalKernelData</c>,
    /// <c>RemoteKernelData</c>), like jupyter_client's provisioner info. May hold the connection key: never shown.
    /// </summary>
    public string? ProviderData { get; init; }

    /// <param name="view">What the owning provider shows of its <see cref="ProviderData"/> (<see cref="IKernelProvider.Describe"/>).</param>
    /// <param name="executionCount">The kernel's execution count, when a live connection knows it.</param>
    public Kernel ToKernel(ProviderKernelView view, int? executionCount = null) => new()
    {
        ExecutionCount = executionCount,
        Id = Id,
        Name = SpecName,
        DisplayName = DisplayName,
        Provider = Provider,
        State = State,
        StartedAt = CreatedAt,
        LastActivity = LastActivityAt,
        Pid = view.Pid,
        Url = view.Url,
        RemoteId = RemoteId,
        ConnectionFile = view.ConnectionFile,
        Session = SessionName,
        Adopted = view.Adopted,
    };

    /// <summary>Leaves out <see cref="ProviderData"/> (it may hold the key): the compiler's record ToString would print it.</summary>
    public override string ToString() => $"KernelRecord {{ Id = {Id}, Provider = {Provider}, SpecName = {SpecName}, State = {State}, RemoteId = {RemoteId}, " +
        $"ProviderData = {(ProviderData is null ? "(none)" : "(hidden)")} }}";
}

/// <summary>What a provider shows of its own persisted data on the public <see cref="Kernel"/>.</summary>
internal readonly record struct ProviderKernelView
{
    public int? Pid { get; init; }
    public string? Url { get; init; }
    public string? ConnectionFile { get; init; }
    public bool Adopted { get; init; }
}
