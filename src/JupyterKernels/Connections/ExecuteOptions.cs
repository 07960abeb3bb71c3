namespace JupyterKernels.Connections;

/// <summary>Options of one execute_request as Invoke-KernelCode exposes them.</summary>
public sealed record ExecuteOptions
{
    /// <summary>Null = wait forever (Ctrl+C still cancels).</summary>
    public TimeSpan? Timeout { get; init; }
    public bool StopOnError { get; init; } = true;
    public bool Silent { get; init; }
    public bool StoreHistory { get; init; } = true;
    /// <summary>False tells the kernel we cannot answer input_request (input() then raises in the kernel).</summary>
    public bool AllowStdin { get; init; } = true;
    /// <summary>Emit every message as <see cref="KernelRawMessage"/> instead of typed outputs.</summary>
    public bool Raw { get; init; }
    /// <summary>
    /// Emit every message as <see cref="KernelRawMessage"/> as well as the typed outputs (a notebook run keeps the
    /// kernel's JSON exactly and takes nbclient's timings from the headers). Ignored when <see cref="Raw"/> is set.
    /// </summary>
    public bool WithRawMessages { get; init; }
    /// <summary>Route to this subshell (null = main shell).</summary>
    public string? SubShellId { get; init; }
    /// <summary>Interrupt the kernel when the caller cancels (Ctrl+C).</summary>
    public bool InterruptOnCancel { get; init; } = true;
}
