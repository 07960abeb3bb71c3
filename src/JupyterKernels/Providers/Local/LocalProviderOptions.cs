namespace JupyterKernels.Providers.Local;

internal sealed record LocalProviderOptions
{
    /// <summary>jupyter_client's shutdown_wait_time: half waiting for a clean exit, half after SIGTERM.</summary>
    public TimeSpan ShutdownWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Grace after SIGKILL before we report the kernel as unkillable.</summary>
    public TimeSpan KillWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Heartbeat wait used by probes.</summary>
    public TimeSpan ProbeHeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a start may take before Sync gives it up: a record in state Starting whose starter process
    /// is gone is completed if its kernel answers, else kept this long after its creation (the kernel may still be
    /// importing), then its process is killed and the record removed. Also the age after which a Starting record
    /// that names no starter (older versions) counts as interrupted.</summary>
    public TimeSpan StartGrace { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A start whose starter process still lives is left alone for this long (a start never takes longer:
    /// the start timeout ends it first); past it the record is resolved as if the starter were gone.</summary>
    public TimeSpan StartInProgressLimit { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Activity probe: how long control may take to answer kernel_info (else the activity is unknown).</summary>
    public TimeSpan ActivityControlTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Activity probe: a shell silent this long while control answers is running code.</summary>
    public TimeSpan ActivityShellWindow { get; init; } = TimeSpan.FromSeconds(1);
}
