namespace JupyterKernels.Providers.Local;

public sealed record LocalProviderOptions
{
    /// <summary>jupyter_client's shutdown_wait_time: half waiting for a clean exit, half after SIGTERM.</summary>
    public TimeSpan ShutdownWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Grace after SIGKILL before we report the kernel as unkillable.</summary>
    public TimeSpan KillWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Heartbeat wait used by probes.</summary>
    public TimeSpan ProbeHeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Activity probe: how long control may take to answer kernel_info (else the activity is unknown).</summary>
    public TimeSpan ActivityControlTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Activity probe: a shell silent this long while control answers is running code.</summary>
    public TimeSpan ActivityShellWindow { get; init; } = TimeSpan.FromSeconds(1);
}
