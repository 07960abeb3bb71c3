namespace JupyterKernels.Providers;

/// <summary>
/// Everything needed to find and drive a kernel again from another process: what the store keeps. Contains the
/// connection key (local) — never hand this object to the user; <see cref="ToKernel"/> makes the public view.
/// </summary>
public sealed record KernelRecord
{
    public required string Id { get; init; }
    public required string Provider { get; init; }
    /// <summary>The provider's own kernel id (remote); equals Id when the server accepted our id.</summary>
    public string? RemoteId { get; init; }
    /// <summary>Spec name as the user gave it (prefixed for remote).</summary>
    public required string SpecName { get; init; }
    public string DisplayName { get; init; } = "";
    /// <summary>Local: connection info JSON (the connection file's contents, including the key).</summary>
    public string? ConnectionInfoJson { get; init; }
    public string? ConnectionFile { get; init; }
    public int? Pid { get; init; }
    /// <summary>Local: the process start time, to tell our kernel from a reused pid.</summary>
    public DateTimeOffset? ProcessStartTime { get; init; }
    /// <summary>"signal" or "message" (from the spec at start time).</summary>
    public string InterruptMode { get; init; } = "signal";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastSeenAt { get; init; }
    public DateTimeOffset? LastActivityAt { get; init; }
    public KernelState State { get; init; } = KernelState.Starting;
    /// <summary>Remote: number of open connections the server reports (for culling).</summary>
    public int? Connections { get; init; }
    /// <summary>user@host that started it.</summary>
    public string Owner { get; init; } = "";
    /// <summary>Remote: the kernel URL (no token).</summary>
    public string? Url { get; init; }
    public string? SessionName { get; init; }
    /// <summary>The process that recorded the kernel before starting it (pid and start time: a pid alone is no
    /// identity). While it lives a record in state Starting is a start in progress; once it is gone, Sync completes
    /// the record or removes it and stops what the start left.</summary>
    public int? StarterPid { get; init; }
    public DateTimeOffset? StarterStartTime { get; init; }
    /// <summary>Local: started by another Jupyter client and adopted from its connection file. No pid of ours: it is
    /// stopped by shutdown_request and verified by its heartbeat, never signalled.</summary>
    public bool Adopted { get; init; }

    /// <param name="executionCount">The kernel's execution count, when a live connection knows it.</param>
    public Kernel ToKernel(int? executionCount = null) => new()
    {
        ExecutionCount = executionCount,
        Id = Id,
        Name = SpecName,
        DisplayName = DisplayName,
        Provider = Provider,
        State = State,
        StartedAt = CreatedAt,
        LastActivity = LastActivityAt,
        Pid = Pid,
        Url = Url,
        RemoteId = RemoteId,
        ConnectionFile = ConnectionFile,
        Session = SessionName,
        Adopted = Adopted,
    };

    /// <summary>Leaves out <see cref="ConnectionInfoJson"/> (it holds the key): the compiler's record ToString would print it.</summary>
    public override string ToString() => $"KernelRecord {{ Id = {Id}, Provider = {Provider}, SpecName = {SpecName}, State = {State}, Pid = {Pid}, Url = {Url}, " +
        $"ConnectionInfoJson = {(ConnectionInfoJson is null ? "(none)" : "(hidden)")} }}";
}
