namespace JupyterKernels.Providers.Local;

public sealed record LocalProviderOptions
{
    /// <summary>jupyter_client's shutdown_wait_time: half waiting for a clean exit, half after SIGTERM.</summary>
    public TimeSpan ShutdownWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Grace after SIGKILL before we report the kernel as unkillable.</summary>
    public TimeSpan KillWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Heartbeat wait used by probes.</summary>
    public TimeSpan ProbeHeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(1);
}
