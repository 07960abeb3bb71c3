namespace JupyterKernels.Connections;

/// <summary>Options of one execute_request as Invoke-KernelCode exposes them.</summary>
public sealed record ExecuteOptions
{
    private readonly TimeSpan? _timeout;

    /// <summary>Null = wait forever (Ctrl+C still cancels). Must be positive: a wait given anything else would never end.</summary>
    public TimeSpan? Timeout
    {
        get => _timeout;
        init
        {
            if (value is { } t && (t <= TimeSpan.Zero || t.TotalMilliseconds >= int.MaxValue))
                throw new ArgumentOutOfRangeException(nameof(Timeout), t, "An execution timeout must be positive and shorter than 24 days (null waits without limit).");
            _timeout = value;
        }
    }
    public bool StopOnError { get; init; } = true;
    public bool Silent { get; init; }
    public bool StoreHistory { get; init; } = true;
    /// <summary>False tells the kernel we cannot answer input_request (input() then raises in the kernel).</summary>
    public bool AllowStdin { get; init; } = true;
    /// <summary>Emit every message as <see cref="KernelRawMessage"/> instead of typed outputs.</summary>
    public bool Raw { get; init; }
    /// <summary>
    /// Emit every message as a <see cref="KernelProtocolMessage"/> (the parsed message and its typed output) as well as
    /// the typed outputs, or alone with <see cref="Raw"/>: a notebook run keeps the kernel's JSON exactly and takes
    /// nbclient's timings from the headers.
    /// </summary>
    internal bool WithMessages { get; init; }
    /// <summary>Route to this subshell (null = main shell).</summary>
    public string? SubShellId { get; init; }
    /// <summary>Interrupt the kernel when the caller cancels (Ctrl+C).</summary>
    public bool InterruptOnCancel { get; init; } = true;
    /// <summary>Hears KernelNotResponding when the kernel does not answer the first contact of this process within a
    /// few seconds (a frozen kernel), as a running call hears it through <see cref="KernelExecution.NotRespondingSince"/>.</summary>
    public IProgress<KernelWarning>? Warnings { get; init; }
}
