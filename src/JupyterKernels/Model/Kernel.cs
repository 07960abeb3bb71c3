namespace JupyterKernels;

/// <summary>
/// A kernel known to this machine's module (pipeline object). Holds no secret: the connection key stays in the
/// store and in the connection file. Other cmdlets accept it from the pipeline by its <see cref="Id"/>.
/// </summary>
public sealed class Kernel
{
    /// <summary>The kernel's id (a UUID). A remote kernel's is its server's id, the same on every machine and in
    /// JupyterLab (records made before keep their own; their <see cref="RemoteId"/> is accepted wherever an id is).</summary>
    public required string Id { get; init; }
    /// <summary>Kernelspec name as the user gave it (prefixed for remote providers).</summary>
    public required string Name { get; init; }
    public string DisplayName { get; init; } = "";
    public required string Provider { get; init; }
    public KernelState State { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? LastActivity { get; init; }
    /// <summary>Local kernels: the process id.</summary>
    public int? Pid { get; init; }
    /// <summary>Remote kernels: the kernel's REST URL (no token).</summary>
    public string? Url { get; init; }
    /// <summary>Remote kernels: the server's kernel id (equal to <see cref="Id"/> but for records made before ids were the server's).</summary>
    public string? RemoteId { get; init; }
    /// <summary>Local kernels: path of the connection file (usable with <c>jupyter console --existing</c>).</summary>
    public string? ConnectionFile { get; init; }
    /// <summary>Name of the session that uses this kernel, if any.</summary>
    public string? Session { get; init; }
    /// <summary>The execution count of the kernel's latest execute_reply, when this process has run code in it.</summary>
    public int? ExecutionCount { get; init; }
    /// <summary>Local kernels started by another Jupyter client and adopted (Connect-Kernel, Sync-KernelSession -Adopt).</summary>
    public bool Adopted { get; init; }

    /// <summary>A copy with another state (the store's state, corrected by what is known to run).</summary>
    public Kernel WithState(KernelState state) => new()
    {
        Id = Id, Name = Name, DisplayName = DisplayName, Provider = Provider, State = state, StartedAt = StartedAt,
        LastActivity = LastActivity, Pid = Pid, Url = Url, RemoteId = RemoteId, ConnectionFile = ConnectionFile,
        Session = Session, ExecutionCount = ExecutionCount, Adopted = Adopted,
    };

    public override string ToString() => $"{Name} ({Id})";
}
